package org.ducisc.backend.cpu;

import java.lang.foreign.MemorySegment;

/** Ops over the channel dim of (n, c, s) tensors (placeholder). */
final class CpuChannelOps {
    private CpuChannelOps() {
    }

    static void argmax(MemorySegment x, long xOff, int n, int c, long s, MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("argmax");
    }

    static void softmax(MemorySegment x, long xOff, int n, int c, long s, MemorySegment y, long yOff, boolean log) {
        throw new UnsupportedOperationException("softmax");
    }

    static void softmaxBackward(MemorySegment y, long yOff, MemorySegment gy, long gyOff, int n, int c, long s,
                                MemorySegment gx, long gxOff, boolean log) {
        throw new UnsupportedOperationException("softmax backward");
    }

    static void gather(MemorySegment x, long xOff, MemorySegment t, long tOff, int n, int c, long s,
                       MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("gather");
    }

    static void scatter(MemorySegment g, long gOff, MemorySegment t, long tOff, int n, int c, long s,
                        MemorySegment gx, long gxOff) {
        throw new UnsupportedOperationException("scatter");
    }
}
