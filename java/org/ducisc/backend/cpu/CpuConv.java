package org.ducisc.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.ducisc.backend.ConvGeometry;

/** 3D convolution kernels (placeholder until the fast kernels land). */
final class CpuConv {
    private CpuConv() {
    }

    static void forward(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff, ConvGeometry g) {
        throw new UnsupportedOperationException("conv3d forward");
    }

    static void backwardData(MemorySegment gy, long gyOff, MemorySegment w, long wOff, MemorySegment gx, long gxOff,
                             ConvGeometry g) {
        throw new UnsupportedOperationException("conv3d backward data");
    }

    static void backwardWeight(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment gw,
                               long gwOff, ConvGeometry g, boolean accumulate) {
        throw new UnsupportedOperationException("conv3d backward weight");
    }
}
