package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.runtime.OpProfile;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Eval-mode inference folds each batch norm into its convolution and fuses the ReLU
 * (ConvStack / BatchNorm3d.foldInto). The folded network must equal the unfolded one (eval mode
 * with gradients on, the op-by-op path) within float32 rounding, with non-trivial running
 * statistics, gammas, betas and biases.
 */
class BatchNormFoldingTest {
    private static final long SEED = 20261129L;
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    @Test
    void foldedInferenceEqualsUnfoldedWithinFloat32Rounding() {
        System.out.println("BatchNormFoldingTest seed " + SEED);
        Rng rng = new Rng(SEED);
        VNet.Config config = new VNet.Config(1, 2, 4, true, true);
        try (VNet net = new VNet(config, Device.CPU, new Rng(SEED + 1), new Rng(SEED + 2)); MemoryScope scope = MemoryScope.open()) {
            // Running statistics from two training-mode passes over shifted, scaled inputs.
            try (GradMode off = GradMode.disabled()) {
                for (int k = 0; k < 2; k++) {
                    Tensor x = Elementwise.affine(Tensor.normal(Device.CPU, rng, 0, 1, 2, 1, 16, 32, 48), 3f, 0.7f);
                    net.forward(Variable.constant(x));
                }
            }
            // Gammas, betas and conv biases away from their initial values.
            for (Variable p : net.parameters()) {
                if (p.value().rank() == 1) {
                    Tensor noise = Tensor.uniform(Device.CPU, rng, -0.5, 0.5, p.value().shape());
                    Elementwise.addInPlace(p.value(), noise);
                }
            }
            net.eval();
            Tensor input = Tensor.normal(Device.CPU, rng, 0, 1, 2, 1, 16, 32, 48);
            VNet.Output unfolded = net.forward(Variable.constant(input));
            VNet.Output folded;
            OpProfile profile = OpProfile.start();
            try (GradMode off = GradMode.disabled()) {
                folded = net.forward(Variable.constant(input.copy()));
            } finally {
                profile.stop();
            }
            List<OpProfile.Entry> ops = profile.rows();
            assertTrue(ops.stream().anyMatch(e -> e.name().startsWith("conv forward + relu")),
                    "the folded path ran fused conv + ReLU: " + ops);
            // The only per-channel pass left is the bias + ReLU of the four transposed up-convolutions.
            long affine = ops.stream().filter(e -> e.name().startsWith("batch norm apply")).mapToLong(OpProfile.Entry::calls)
                    .sum();
            assertEquals(4, affine, "per-channel passes on the folded path: " + ops);
            assertFalse(ops.stream().anyMatch(e -> e.name().startsWith("conv forward 4->4")),
                    "a 3x3x3 stage ran without its fused ReLU: " + ops);
            assertEquals(unfolded.outputs().size(), folded.outputs().size());
            for (int i = 0; i < folded.outputs().size(); i++) {
                assertClose("output " + i, unfolded.outputs().get(i).value(), folded.outputs().get(i).value());
                assertClose("feature " + i, unfolded.features().get(i).value(), folded.features().get(i).value());
            }
        }
    }

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        int bad = 0;
        double worst = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs((double) a[i] - e[i]);
            worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(e[i])));
            if (!(err <= ATOL + RTOL * Math.abs(e[i]))) {
                if (bad++ < 5) {
                    first.append(String.format(" [%d] %g vs %g;", i, a[i], e[i]));
                }
            }
        }
        System.out.printf("%s: worst error %.3f of the tolerance%n", what, worst);
        assertEquals(0, bad, what + ": " + bad + " of " + e.length + " values outside rtol " + RTOL + " atol " + ATOL
                + ":" + first);
    }
}
