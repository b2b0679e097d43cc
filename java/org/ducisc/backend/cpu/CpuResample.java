package org.ducisc.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.ducisc.backend.InterpolationMode;

/** Nearest and trilinear resampling (placeholder). */
final class CpuResample {
    private CpuResample() {
    }

    static void interpolate(InterpolationMode mode, MemorySegment x, long xOff, long nc, int[] in, MemorySegment y,
                            long yOff, int[] out) {
        throw new UnsupportedOperationException("interpolate");
    }

    static void interpolateBackward(InterpolationMode mode, MemorySegment gy, long gyOff, long nc, int[] in,
                                    int[] out, MemorySegment gx, long gxOff) {
        throw new UnsupportedOperationException("interpolate backward");
    }
}
