package org.ducisc.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The op checker must reject wrong values, wrong gradients and unwritten outputs. */
class OpCheckTest {
    @Test
    void rejectsAForwardOffByOnePart() {
        assertThrows(AssertionFailedError.class, () -> OpCheck.op("exp off").input("x", 3, 5)
                .run(v -> ElementwiseGrad.exp(v[0]), in -> Ref.map(in[0], x -> Math.exp(x) * (1 + 3e-4))));
    }

    @Test
    void rejectsAWrongGradient() {
        // forward of exp, but a gradient rule of the identity
        assertThrows(AssertionFailedError.class, () -> OpCheck.op("bad grad").input("x", 4, 3)
                .run(v -> {
                    Tensor y = Elementwise.exp(v[0].value());
                    return Variable.result("bad", y, g -> new Tensor[] {g}, v[0]);
                }, in -> Ref.map(in[0], Math::exp)));
    }

    @Test
    void rejectsAnUnwrittenElement() {
        assertThrows(AssertionFailedError.class, () -> OpCheck.op("unwritten").input("x", 2, 3).forwardOnly()
                .run(v -> {
                    // writes all elements but the last: the poisoned NaN must show
                    float[] x = v[0].value().toFloatArray();
                    Tensor y = Tensor.empty(org.ducisc.core.Device.CPU, DType.FLOAT32, 2, 3);
                    try (Tensor head = Tensor.of(java.util.Arrays.copyOf(x, 5), 5); Tensor flat = y.reshape(6);
                         Tensor dst = flat.slice(0, 5)) {
                        dst.copyFrom(head);
                    }
                    return Variable.constant(y);
                }, in -> in[0]));
    }
}
