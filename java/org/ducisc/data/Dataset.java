package org.ducisc.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A data set on disk in the reference layout: its folder, and its {@code train.list} and
 * {@code test.list}. The first {@code labelnum} entries of the train list are the labeled cases.
 *
 * <p>List lines accepted: one case per line; blank lines and lines starting with {@code #} are
 * skipped; surrounding whitespace (and a Windows CR) is dropped, and so is a UTF-8 byte order mark
 * (U+FEFF, as Windows editors write) at the start of the file. A line may also be a path, as
 * some forks write: its last component is taken, {@code .h5} is stripped from it, and for a path
 * ending in {@code mri_norm2.h5} the parent folder's name is the case. Every listed case must have
 * its h5 file, or opening the list fails naming the list, the line and the missing file.
 */
public final class Dataset {
    /** The byte order mark (U+FEFF) some editors put before the first line of a UTF-8 text file. */
    private static final String BOM = "\uFEFF";
    private final DatasetKind kind;
    private final Path dir;

    private Dataset(DatasetKind kind, Path dir) {
        this.kind = kind;
        this.dir = dir;
    }

    /**
     * Opens a data set. {@code root} is the reference's {@code --root_path}, the parent of
     * {@code LA/}, {@code Pancreas/} or {@code Nurves/}; the data set folder itself is accepted too.
     */
    public static Dataset open(DatasetKind kind, Path root) throws IOException {
        Path nested = root.resolve(kind.folder());
        if (Files.isDirectory(nested.resolve(kind.casesFolder())) || Files.isRegularFile(nested.resolve("train.list"))) {
            return new Dataset(kind, nested);
        }
        if (Files.isDirectory(root.resolve(kind.casesFolder())) || Files.isRegularFile(root.resolve("train.list"))) {
            return new Dataset(kind, root);
        }
        throw new VolumeFormatException(root, "no " + kind.folder() + " data set here (looked for "
                + kind.folder() + "/" + kind.casesFolder() + "/ and " + kind.casesFolder() + "/)");
    }

    public static Dataset open(String name, Path root) throws IOException {
        return open(DatasetKind.parse(name), root);
    }

    public DatasetKind kind() {
        return kind;
    }

    /** The data set folder (the one holding train.list). */
    public Path dir() {
        return dir;
    }

    public List<String> trainCases() throws IOException {
        return readList(dir.resolve("train.list"));
    }

    public List<String> testCases() throws IOException {
        return readList(dir.resolve("test.list"));
    }

    public Path caseFile(String caseName) {
        return kind.caseFile(dir, caseName);
    }

    public CaseData read(String caseName) throws IOException {
        return H5Volumes.read(caseFile(caseName), caseName, kind.clampNegativeLabels());
    }

    /** The image alone, for an unlabeled case. */
    public Volume readImage(String caseName) throws IOException {
        return H5Volumes.readImage(caseFile(caseName));
    }

    /** Reads a list and checks that each case's file exists. */
    public List<String> readList(Path list) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new VolumeFormatException(list, "list file not found");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new VolumeFormatException(list, "list is not UTF-8 text");
        }
        List<String> cases = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (n == 0 && line.startsWith(BOM)) {
                line = line.substring(1);
            }
            String name = caseName(line);
            if (name == null) {
                continue;
            }
            Path file = caseFile(name);
            if (!Files.isRegularFile(file)) {
                throw new VolumeFormatException(list, "line " + (n + 1) + " names case " + Names.quoted(name)
                        + " but " + Names.quoted(file.toString()) + " does not exist");
            }
            cases.add(name);
        }
        return cases;
    }

    /** The case a list line names, or null for a blank or comment line. */
    static String caseName(String line) {
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return null;
        }
        s = s.replace('\\', '/');
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        String[] parts = s.split("/");
        String last = parts[parts.length - 1];
        if (last.equals("mri_norm2.h5") && parts.length > 1) {
            last = parts[parts.length - 2];
        }
        if (last.endsWith(".h5")) {
            last = last.substring(0, last.length() - 3);
        }
        return last.isEmpty() ? null : last;
    }

    @Override
    public String toString() {
        return kind + " data set at " + dir;
    }
}
