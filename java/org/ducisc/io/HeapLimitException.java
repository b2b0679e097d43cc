package org.ducisc.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file whose declared sizes need more heap memory than the Java heap can ever provide: refused
 * before anything is allocated. The message names the file, what needs the memory and how much,
 * and the heap's limit; the command line adds how to raise it.
 */
public final class HeapLimitException extends IOException {
    private final long needed;

    public HeapLimitException(Path file, String problem, long neededBytes) {
        super(file + ": " + problem);
        this.needed = neededBytes;
    }

    /** The bytes the read would have needed. */
    public long neededBytes() {
        return needed;
    }
}
