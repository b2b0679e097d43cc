package org.ducisc.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ducisc.io.CaseData;
import org.ducisc.io.FileBytes;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;

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
 *
 * <p>A folder with {@code imagesTr/} is opened instead as a NIfTI data set in the Medical
 * Segmentation Decathlon or nnU-Net v2 layout ({@link NiftiFolder}, kind {@link DatasetKind#NIFTI}),
 * whatever data set name was given; its lists come from its folders, and list lines may name its
 * cases by file ({@code la_003.nii.gz}, {@code la_003_0000.nii.gz}) or by case.
 */
public final class Dataset {
    /** The byte order mark (U+FEFF) some editors put before the first line of a UTF-8 text file. */
    private static final String BOM = "\uFEFF";
    /** A list of a million cases is far below this; a larger file is not a case list. */
    private static final long MAX_LIST_BYTES = 64L << 20;
    private final DatasetKind kind;
    private final Path dir;
    /** The NIfTI folder's layout, or null for the reference's h5 layouts. */
    private final NiftiFolder nifti;

    private Dataset(DatasetKind kind, Path dir) {
        this(kind, dir, null);
    }

    private Dataset(DatasetKind kind, Path dir, NiftiFolder nifti) {
        this.kind = kind;
        this.dir = dir;
        this.nifti = nifti;
    }

    /**
     * Opens a data set. {@code root} is the reference's {@code --root_path}, the parent of
     * {@code LA/}, {@code Pancreas/} or {@code Nurves/}; the data set folder itself is accepted too.
     */
    public static Dataset open(DatasetKind kind, Path root) throws IOException {
        if (kind == DatasetKind.NIFTI || NiftiFolder.isNiftiFolder(root)) {
            if (!NiftiFolder.isNiftiFolder(root)) {
                throw new VolumeFormatException(root, "no NIfTI data set here (no " + NiftiFolder.TRAIN_IMAGES + "/ folder)");
            }
            return new Dataset(DatasetKind.NIFTI, root, NiftiFolder.open(root));
        }
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

    /** The training cases: the labeled ones first (the first {@code labelnum} of them are used as labeled). */
    public List<String> trainCases() throws IOException {
        return nifti != null ? nifti.trainCases() : readList(dir.resolve("train.list"));
    }

    /** The test cases that can be scored (for a NIfTI folder: the images of imagesTs with a label in labelsTs). */
    public List<String> testCases() throws IOException {
        return nifti != null ? nifti.labeledTestCases() : readList(dir.resolve("test.list"));
    }

    /** Every test image, scored or not (for a NIfTI folder: all of imagesTs; else the test list). */
    public List<String> testImages() throws IOException {
        return nifti != null ? nifti.testImages() : testCases();
    }

    /**
     * How many training cases have labels: every case of the reference's train list, or a NIfTI
     * folder's images with a label file (less those held out for validation).
     */
    public int labeledCount() throws IOException {
        return nifti != null ? nifti.labeledCases().size() : trainCases().size();
    }

    /** True for a NIfTI (MSD / nnU-Net) folder, false for the reference's h5 layouts. */
    public boolean isNiftiFolder() {
        return nifti != null;
    }

    /**
     * The cases model selection (validation) runs on when no list is given: the reference's test
     * list for its layouts (its own choice); for a NIfTI folder, its {@code validation.list} (held out
     * of training), or none, so the test cases are never used for model selection.
     */
    public List<String> validationCases() throws IOException {
        if (nifti == null) {
            return testCases();
        }
        Path list = nifti.validationList();
        return list == null ? List.of() : readList(list);
    }

    /**
     * This data set with the validation cases {@code cases} held out of training: for a NIfTI folder
     * they leave the training list (labeled and unlabeled); the reference's layouts are returned as
     * they are, since the reference's lists are its own.
     */
    public Dataset holdingOut(List<String> cases) {
        return nifti == null ? this : new Dataset(kind, dir, nifti.holdingOut(cases));
    }

    /** A description of the layout, for logs: the kind, or the NIfTI naming found. */
    public String layout() {
        return nifti != null ? nifti.naming() + " NIfTI folder" : kind.folder();
    }

    public Path caseFile(String caseName) {
        return nifti != null ? nifti.image(caseName) : kind.caseFile(dir, caseName);
    }

    /**
     * Reads a labeled case; its label follows {@link BinaryLabels}' rule (0 background, any other value
     * foreground, as 1). A NIfTI folder's image is z-scored over the volume.
     */
    public CaseData read(String caseName) throws IOException {
        CaseData c = nifti != null ? nifti.read(caseName)
                : H5Volumes.read(caseFile(caseName), caseName, kind.clampNegativeLabels());
        Volume label = BinaryLabels.binarise(c.label());
        return label == c.label() ? c : new CaseData(c.name(), c.image(), label);
    }

    /** Whether a case has a label file (always, in the reference's layouts). */
    public boolean hasLabel(String caseName) {
        return nifti == null || nifti.label(caseName) != null;
    }

    /** The image alone, for an unlabeled case (a NIfTI folder's z-scored, keeping its geometry). */
    public Volume readImage(String caseName) throws IOException {
        if (nifti != null) {
            return nifti.readImage(caseName);
        }
        return H5Volumes.readImage(caseFile(caseName));
    }

    /** Reads a list and checks that each case's file exists. */
    public List<String> readList(Path list) throws IOException {
        List<String> lines;
        FileBytes.requireRegularFile(list);
        if (Files.size(list) > MAX_LIST_BYTES) {
            throw new VolumeFormatException(list, "list file of " + Files.size(list) + " bytes is larger than "
                    + MAX_LIST_BYTES + "; a case list names one case per line");
        }
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
        for (String ending : new String[] {".nii.gz", ".nii"}) {
            if (last.endsWith(ending)) {
                last = last.substring(0, last.length() - ending.length());
                last = last.matches(".*_0000") ? last.substring(0, last.length() - 5) : last;
            }
        }
        return last.isEmpty() ? null : last;
    }

    @Override
    public String toString() {
        return kind + " data set at " + dir;
    }
}
