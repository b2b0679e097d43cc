package org.ducisc.tensor;

import java.util.Arrays;
import org.ducisc.core.DType;

/** Argument checks shared by the ops; each message names the op and the offending shapes. */
public final class Checks {
    private Checks() {
    }

    public static void sameDevice(String op, Tensor first, Tensor... others) {
        for (Tensor t : others) {
            if (t != null && !t.device().equals(first.device())) {
                throw new IllegalArgumentException(op + ": tensors on different devices (" + first.device() + " "
                        + Shapes.str(first.shapeRef()) + " and " + t.device() + " " + Shapes.str(t.shapeRef()) + ")");
            }
        }
    }

    public static void float32(String op, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null && t.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(op + ": expected float32, got " + t.dtype() + " "
                        + Shapes.str(t.shapeRef()));
            }
        }
    }

    public static void sameShape(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shapeRef(), b.shapeRef())) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shapeRef()) + " and "
                    + Shapes.str(b.shapeRef()) + " differ");
        }
    }

    public static void rank(String op, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": expected a " + rank + "-d tensor, got shape "
                    + Shapes.str(t.shapeRef()));
        }
    }

    /** The channel-op view (n, c, s) of a tensor of rank >= 2. */
    static long[] nchView(String op, Tensor t) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException(op + ": expected (N, C, ...) , got shape " + Shapes.str(t.shapeRef()));
        }
        long[] s = t.shapeRef();
        long spatial = 1;
        for (int i = 2; i < s.length; i++) {
            spatial *= s[i];
        }
        return new long[] {s[0], s[1], spatial};
    }
}
