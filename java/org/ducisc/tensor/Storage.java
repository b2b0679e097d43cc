package org.ducisc.tensor;

import org.ducisc.backend.Backend;
import org.ducisc.backend.Buffer;

/** A backend buffer shared by a tensor and its views; freed when the last of them is closed. */
final class Storage {
    final Backend backend;
    final Buffer buffer;
    private int references = 1;

    Storage(Backend backend, long bytes) {
        this.backend = backend;
        this.buffer = backend.allocate(bytes);
    }

    synchronized void retain() {
        if (references <= 0) {
            throw new IllegalStateException("tensor storage used after it was freed");
        }
        references++;
    }

    /** True while exactly one open tensor refers to this storage. */
    synchronized boolean hasSingleReference() {
        return references == 1;
    }

    synchronized void release() {
        if (references <= 0) {
            throw new IllegalStateException("tensor storage freed twice");
        }
        if (--references == 0) {
            backend.release(buffer);
        }
    }
}
