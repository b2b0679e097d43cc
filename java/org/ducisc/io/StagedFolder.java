package org.ducisc.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A set of output files that appears in its folder all together or not at all: the files are
 * written under a hidden staging folder inside the target ({@code .partial-*}), {@link #commit()}
 * renames each into its place (same file system, so each rename is atomic), and {@link #close()}
 * removes the staging folder with whatever is left in it. A command that fails half-way through a
 * list of cases thus leaves none of its outputs behind, and no target folder it created itself.
 *
 * <pre>{@code
 * try (StagedFolder out = StagedFolder.in(dir)) {
 *     Nifti.write(out.root().resolve("a_pred.nii.gz"), a);   // any layout below root()
 *     out.commit();
 * }
 * }</pre>
 */
public final class StagedFolder implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private final boolean createdTarget;
    private boolean committed;

    private StagedFolder(Path target, Path staging, boolean createdTarget) {
        this.target = target;
        this.staging = staging;
        this.createdTarget = createdTarget;
    }

    /** Creates the target folder if need be, and a fresh staging folder inside it. */
    public static StagedFolder in(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        boolean created = !Files.isDirectory(abs);
        Files.createDirectories(abs);
        return new StagedFolder(abs, Files.createTempDirectory(abs, ".partial-"), created);
    }

    /** Where to write: the staging folder, standing for the target. */
    public Path root() {
        return staging;
    }

    /** Moves every staged file to the same relative place in the target, replacing what is there. */
    public void commit() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(staging)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            Path to = target.resolve(staging.relativize(f).toString());
            Files.createDirectories(to.getParent());
            try {
                Files.move(f, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(f, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        committed = true;
    }

    /** Removes the staging folder (and, before a commit, a target folder that this created and is empty). */
    @Override
    public void close() throws IOException {
        if (Files.exists(staging)) {
            try (Stream<Path> s = Files.walk(staging)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        if (!committed && createdTarget) {
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isEmpty()) {
                    Files.deleteIfExists(target);
                }
            }
        }
    }
}
