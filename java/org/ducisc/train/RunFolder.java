package org.ducisc.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.ducisc.core.ExistingRunException;

/**
 * A training run's folder: owned by one process at a time, through an exclusive lock on its
 * {@value #LOCK} file (which names the owner: process id, host, start time), and never silently
 * replaced by a new run.
 *
 * <p>The lock is an operating-system file lock ({@link FileChannel#tryLock()}), so it is released when
 * the owner ends, also by a kill; the file of a killed owner stays and the next owner rewrites it. A run
 * that ends (normally, by an error or on request) deletes the file, so a finished run's folder holds none. While it holds the lock
 * a run removes the temporary files ({@code .*.tmp}) an earlier, killed writer left in the folder.
 */
public final class RunFolder implements AutoCloseable {
    /** The lock file's name. */
    public static final String LOCK = "run.lock";

    /** What a lock file holds once its owner has ended (just before the owner deletes it). */
    private static final String RETIRED = "released";

    /** The files a run writes (and a discarded run loses); sub-folders {@code seed_N} of a seed sweep too. */
    private static final List<String> RUN_FILES = List.of("config.json", "log.txt", "metrics.csv", "last.safetensors",
            "best.safetensors", TrainState.FILE, "test_metrics.csv", "seeds.csv");

    /** Thrown when the folder is owned by another run; the message names the owner. */
    public static final class InUseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        InUseException(String message) {
            super(message);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunFolder(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes ownership of {@code dir} (created if needed), writes the owner into {@value #LOCK} and removes
     * temporary files left by a killed writer. Throws {@link InUseException} naming the owner when another
     * process, or another run in this one, holds it. {@link #close()} deletes {@value #LOCK} again.
     */
    public static RunFolder lock(Path dir) throws IOException {
        Files.createDirectories(dir);
        RunFolder owned = tryLock(dir, true);
        // The file locked had been retired by its previous owner (see close): the folder's file is another one.
        return owned != null ? owned : tryLock(dir, false);
    }

    /**
     * The folder's lock, or null when {@code retry} and the file locked holds {@link #RETIRED}: its owner
     * ended and deleted it, after this process had opened it, so this lock is on a file no longer in the folder.
     * (The file is never read by path while locked: closing any other descriptor of it would drop the lock.)
     */
    private static RunFolder tryLock(Path dir, boolean retry) throws IOException {
        Path file = dir.resolve(LOCK);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String owner = owner(ch);
            ch.close();
            throw new InUseException(dir + ": the run folder is in use by another training run (" + owner
                    + "); wait for it to end, or stop it");
        }
        try {
            if (retry && RETIRED.equals(owner(ch))) {
                ch.close();
                return null;
            }
            String me = "pid " + ProcessHandle.current().pid() + " on " + host() + ", started "
                    + Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
            write(ch, me);
            removeTemporaryFiles(dir);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new RunFolder(file, ch, lock);
    }

    /** Replaces the file's text with {@code line} and a newline, on disk before it returns. */
    private static void write(FileChannel ch, String line) throws IOException {
        ch.truncate(0);
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b, b.position());
        }
        ch.force(true);
    }

    /** True when {@code dir} holds files of a run (configuration, log, metrics, checkpoints, state). */
    public static boolean holdsRun(Path dir) throws IOException {
        return !runFiles(dir).isEmpty();
    }

    /** Refuses to start a new run in a folder that holds one; the message names the files found. */
    static void requireNoRun(Path dir) throws IOException {
        List<Path> found = runFiles(dir);
        if (!found.isEmpty()) {
            List<String> names = found.stream().map(p -> dir.relativize(p).toString()).limit(4).toList();
            throw new ExistingRunException(dir, dir + ": already holds a training run (" + String.join(", ", names)
                    + (found.size() > 4 ? ", ..." : "") + "); continue it with resume, write the new run elsewhere,"
                    + " or discard the old one first");
        }
    }

    /**
     * Deletes the run in {@code dir}: the files a run writes (configuration, log, metrics, TensorBoard
     * events, every checkpoint and the state), in seed sub-folders too; other files are left alone. Takes
     * the folder's lock for the time, so a running run's folder is refused ({@link InUseException}).
     */
    public static void discard(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (RunFolder owned = lock(dir)) {
            for (Path p : runFiles(dir)) {
                if (Files.isDirectory(p)) {
                    discard(p);
                } else {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static List<Path> runFiles(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString();
                boolean file = RUN_FILES.contains(n) || n.startsWith("events.out.tfevents.")
                        || (n.startsWith("iter_") && n.endsWith(".safetensors"));
                if (file || (n.startsWith("seed_") && Files.isDirectory(p) && holdsRun(p))) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    /** Deletes {@code .<name>.<random>.tmp} files: only a killed writer leaves them (writes rename them away). */
    private static void removeTemporaryFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".") && n.endsWith(".tmp") && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String owner(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(4096);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "owner unknown" : s;
        } catch (IOException e) {
            return "owner unknown";
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    /**
     * Releases the folder: marks {@value #LOCK} {@link #RETIRED} and deletes it (while still holding its lock),
     * then releases the lock, so a finished run's folder holds no lock file.
     */
    @Override
    public void close() throws IOException {
        try {
            write(channel, RETIRED);
            Files.deleteIfExists(file);
            lock.release();
        } finally {
            channel.close();
        }
    }
}
