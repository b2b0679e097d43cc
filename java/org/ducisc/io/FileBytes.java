package org.ducisc.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * File access shared by the readers and writers: whole-file reads that turn a missing file into a
 * one-line error, gunzip with a size bound, and writes that go to a temporary file in the target's
 * directory and are renamed into place, so a failed write never leaves a partial output. This is the
 * engine's one atomic-write helper: every output file (checkpoints, run-folder files, predictions,
 * plots) is written through {@link #writeAtomically}, {@link #writeAtomicallyTo} or {@link #writeText}.
 */
public final class FileBytes {
    /** Deflate cannot expand data by more than about 1032:1; a header that claims more is lying. */
    static final long MAX_GZIP_RATIO = 1100;

    private FileBytes() {}

    /** Writes a file's content to a stream. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes a file's content to the given (temporary) path. */
    public interface PathWriter {
        void write(Path tmp) throws IOException;
    }

    /**
     * Refuses anything but an existing regular file (after symbolic links): a folder, a device such as
     * /dev/zero (endless) or a named pipe (blocks until a writer comes) is never read.
     *
     * @throws VolumeFormatException naming the file and what it is instead
     */
    public static void requireRegularFile(Path file) throws VolumeFormatException {
        if (Files.isRegularFile(file)) {
            return;
        }
        if (!Files.exists(file)) {
            throw new VolumeFormatException(file, "file not found");
        }
        throw new VolumeFormatException(file, Files.isDirectory(file) ? "is a folder, expected a file"
                : "not a regular file (a device, named pipe or socket), expected a file");
    }

    /**
     * Refuses a read whose buffers would need more than the Java heap's limit ({@code -Xmx}), before
     * anything is allocated.
     *
     * @param what what needs the memory, e.g. "1000x1000x1000 voxels of int16"
     * @throws HeapLimitException naming the file, the need and the limit in MiB
     */
    public static void requireHeap(Path file, String what, long bytes) throws HeapLimitException {
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max - (max >> 3)) {
            throw new HeapLimitException(file, what + " need " + mib(bytes) + " MiB of memory to read, more than the "
                    + mib(max) + " MiB heap limit allows (raise the Java heap limit, -Xmx)", bytes);
        }
    }

    /**
     * What went wrong in a file-system call, in words: the JDK's file-system exceptions carry only the
     * path as their message, and their class name is no reason to show anyone.
     */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            String problem = f.getReason() != null ? f.getReason() : switch (f) {
                case NoSuchFileException n -> "no such file or folder";
                case java.nio.file.AccessDeniedException a -> "permission denied";
                case java.nio.file.FileAlreadyExistsException a -> "a file of that name is in the way";
                case java.nio.file.NotDirectoryException n -> "not a folder";
                case java.nio.file.DirectoryNotEmptyException d -> "folder not empty";
                case java.nio.file.FileSystemLoopException l -> "symbolic links form a loop";
                default -> "file-system error";
            };
            String other = f.getOtherFile() != null ? " -> " + f.getOtherFile() : "";
            return (f.getFile() != null ? f.getFile() + other + ": " : "") + problem;
        }
        return e.getMessage() == null ? "input/output error" : e.getMessage();
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    /** A regular file's bytes, its size checked against the heap first. */
    static byte[] readAll(Path file) throws IOException {
        requireRegularFile(file);
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new VolumeFormatException(file, "file of " + size + " bytes is larger than 2 GiB");
            }
            requireHeap(file, "its " + size + " bytes", size);
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new VolumeFormatException(file, "file not found");
        }
    }

    static boolean isGzip(byte[] data) {
        return data.length >= 2 && (data[0] & 0xFF) == 0x1F && (data[1] & 0xFF) == 0x8B;
    }

    /**
     * Decompresses the first {@code expected} bytes of a gzip stream; fails if the stream ends
     * sooner or is corrupt. With {@code wholeStream} the rest is read too (and dropped) so the
     * trailer's CRC catches flipped bits. {@code expected} is checked against the input size first.
     */
    static byte[] gunzip(Path file, byte[] data, int offset, long expected, boolean wholeStream) throws IOException {
        if (expected > (long) (data.length - offset) * MAX_GZIP_RATIO + 1024 || expected > Integer.MAX_VALUE - 8) {
            throw new VolumeFormatException(file, "header declares " + expected
                    + " bytes of data, more than a gzip stream of " + (data.length - offset) + " bytes can hold");
        }
        byte[] out = new byte[(int) expected];
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(data, offset, data.length - offset))) {
            int done = 0;
            while (done < out.length) {
                int n = in.read(out, done, out.length - done);
                if (n < 0) {
                    throw new VolumeFormatException(file, "gzip data ends after " + done + " of " + expected
                            + " expected bytes (truncated file?)");
                }
                done += n;
            }
            if (wholeStream) {
                byte[] scratch = new byte[1 << 14];
                while (in.read(scratch) >= 0) {
                    // Draining reaches the trailer, where GZIPInputStream checks the CRC and length.
                }
            }
        } catch (EOFException e) {
            throw new VolumeFormatException(file, "gzip stream is truncated");
        } catch (ZipException e) {
            throw new VolumeFormatException(file, "corrupt gzip stream (" + e.getMessage() + ")");
        }
        return out;
    }

    /** Writes UTF-8 text atomically: a temporary sibling renamed over {@code target}. */
    public static void writeText(Path target, String text) throws IOException {
        writeAtomically(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Writes through a stream into a temporary sibling, then renames it over {@code target}. */
    public static void writeAtomically(Path target, Writer writer) throws IOException {
        writeAtomicallyTo(target, tmp -> {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                writer.write(out);
            }
        });
    }

    /** Lets {@code writer} create a temporary sibling file, then renames it over {@code target}. */
    public static void writeAtomicallyTo(Path target, PathWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = createSibling(dir, abs.getFileName().toString());
        boolean done = false;
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
        syncDirectory(dir);
    }

    /**
     * A new empty file {@code .NAME.<random>.tmp} in {@code dir}. Unlike {@code Files.createTempFile}
     * (always mode 0600) it gets the mode every new file gets, 0666 less the umask (0644 under the usual
     * umask 022), so outputs are as readable as checkpoints and anything else the user writes.
     */
    private static Path createSibling(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + Long.toUnsignedString(
                    java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 16) {
                    throw e;
                }
            }
        }
    }

    /** Makes the rename itself durable. Some platforms cannot open a directory; there the rename is still atomic. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // best effort: the rename is atomic without it
        }
    }
}
