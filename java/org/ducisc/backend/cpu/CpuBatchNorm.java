package org.ducisc.backend.cpu;

import java.lang.foreign.MemorySegment;

/** Batch-norm kernels (placeholder). */
final class CpuBatchNorm {
    private CpuBatchNorm() {
    }

    static void stats(MemorySegment x, long xOff, int n, int c, long s, MemorySegment mean, long meanOff,
                      MemorySegment var, long varOff) {
        throw new UnsupportedOperationException("batch norm stats");
    }

    static void channelAffine(MemorySegment x, long xOff, MemorySegment scale, long scaleOff, MemorySegment shift,
                              long shiftOff, int n, int c, long s, boolean relu, MemorySegment y, long yOff) {
        throw new UnsupportedOperationException("channel affine");
    }

    static void backwardReduce(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment reluOut,
                               long reluOutOff, MemorySegment mean, long meanOff, MemorySegment invStd,
                               long invStdOff, int n, int c, long s, MemorySegment sumGy, long sumGyOff,
                               MemorySegment sumGyXhat, long sumGyXhatOff) {
        throw new UnsupportedOperationException("batch norm backward reduce");
    }

    static void backwardData(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment reluOut,
                             long reluOutOff, MemorySegment mean, long meanOff, MemorySegment invStd,
                             long invStdOff, MemorySegment gamma, long gammaOff, MemorySegment sumGy, long sumGyOff,
                             MemorySegment sumGyXhat, long sumGyXhatOff, int n, int c, long s, MemorySegment gx,
                             long gxOff) {
        throw new UnsupportedOperationException("batch norm backward data");
    }
}
