package org.ducisc.tensor;

import java.util.ArrayList;
import org.ducisc.core.DType;

/** Sums and means over dims (no gradients). Accumulation is in double and deterministic. */
public final class Reductions {
    private Reductions() {
    }

    /** Sum over {@code dims} (all dims if none are given); reduced dims are kept as size 1 if {@code keepDims}. */
    public static Tensor sum(Tensor x, boolean keepDims, int... dims) {
        Checks.float32("sum", x);
        boolean[] reduce = reducedDims("sum", x.rank(), dims);
        long[] shape = x.shapeRef();
        long[] kept = new long[shape.length];
        ArrayList<Long> dropped = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            kept[d] = reduce[d] ? 1 : shape[d];
            if (!reduce[d]) {
                dropped.add(shape[d]);
            }
        }
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32, kept);
        x.backend().sum(x.buffer(), x.offset(), shape, reduce, out.buffer(), out.offset());
        if (keepDims) {
            return out;
        }
        long[] squeezed = dropped.isEmpty() ? new long[] {1} : dropped.stream().mapToLong(Long::longValue).toArray();
        try (out) {
            return out.reshape(squeezed);
        }
    }

    public static Tensor mean(Tensor x, boolean keepDims, int... dims) {
        boolean[] reduce = reducedDims("mean", x.rank(), dims);
        long count = 1;
        for (int d = 0; d < reduce.length; d++) {
            count *= reduce[d] ? x.shapeRef()[d] : 1;
        }
        try (Tensor s = sum(x, keepDims, dims)) {
            return Elementwise.scale(s, (float) (1.0 / count));
        }
    }

    /** Sum of all elements as a one-element tensor. */
    public static Tensor sumAll(Tensor x) {
        return sum(x, false);
    }

    static boolean[] reducedDims(String op, int rank, int... dims) {
        boolean[] reduce = new boolean[rank];
        if (dims.length == 0) {
            java.util.Arrays.fill(reduce, true);
        }
        for (int d : dims) {
            int n = Shapes.dim(op, d, rank);
            if (reduce[n] && dims.length > 0) {
                throw new IllegalArgumentException(op + ": dim " + d + " given twice");
            }
            reduce[n] = true;
        }
        return reduce;
    }
}
