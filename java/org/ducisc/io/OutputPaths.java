package org.ducisc.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses output paths that name an input or another output, so that a command never overwrites what
 * it reads or one of its results with another. Paths are compared as the files they reach: symbolic
 * links are followed, {@code ./} and {@code ..} spellings resolved (through the nearest existing
 * folder for files not yet written), and two existing paths that are hard links of one file count as
 * the same.
 */
public final class OutputPaths {
    /** A path with the name the caller gives it in messages (an option, or "input" / "output"). */
    public record Labeled(String label, Path path) {
    }

    private OutputPaths() {
    }

    /**
     * Throws IllegalArgumentException naming both paths if an output is the same file as an input or as
     * an earlier output: "{@code <label> <path> is the same file as <label> <path>}". Null paths are skipped.
     */
    public static void requireDistinct(List<Labeled> inputs, List<Labeled> outputs) throws IOException {
        List<Labeled> seen = new ArrayList<>();
        List<Path> seenIds = new ArrayList<>();
        for (Labeled in : inputs) {
            if (in.path() != null) {
                seen.add(in);
                seenIds.add(identity(in.path()));
            }
        }
        for (Labeled out : outputs) {
            if (out.path() == null) {
                continue;
            }
            Path id = identity(out.path());
            for (int i = 0; i < seen.size(); i++) {
                if (same(id, seenIds.get(i))) {
                    throw new IllegalArgumentException(out.label() + " " + out.path() + " is the same file as "
                            + seen.get(i).label() + " " + seen.get(i).path() + "; choose another output path");
                }
            }
            seen.add(out);
            seenIds.add(id);
        }
    }

    /**
     * The real path of {@code p}: of the file itself when it exists, else of its nearest existing ancestor
     * with the rest of the (normalised) path appended.
     */
    static Path identity(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        return existing.toRealPath().resolve(existing.relativize(abs));
    }

    private static boolean same(Path a, Path b) throws IOException {
        if (a.equals(b)) {
            return true;
        }
        return Files.exists(a, LinkOption.NOFOLLOW_LINKS) && Files.exists(b, LinkOption.NOFOLLOW_LINKS)
                && Files.isSameFile(a, b);
    }
}
