package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ducisc.core.Device;
import org.ducisc.runtime.OpProfile;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Gradients reaching one result from several consumers (skip connections, a feature used by
 * several losses) add up in place when nothing else shares their memory, and never when
 * something does; the values are those of the out-of-place sum, bit for bit.
 */
class GradientAccumulationTest {
    private static final long[] SHAPE = {3, 5, 7};

    @Test
    void aResultWithManyConsumersAccumulatesWithoutNewBuffers() {
        // Each extra consumer (h * c) costs its own gradient buffer, and no buffer for the sum.
        long two = backwardAllocations(2);
        long six = backwardAllocations(6);
        assertEquals(4, six - two, "allocations in backward: " + two + " with 2 consumers, " + six + " with 6");
    }

    @Test
    void sharedGradientsAreNotOverwritten() {
        // x + x hands the same gradient buffer to both inputs; adding in place there would double it twice.
        try (MemoryScope scope = MemoryScope.open()) {
            Variable x = Variable.parameter(Tensor.uniform(Device.CPU, new Rng(3), -1, 1, SHAPE));
            Variable h = ElementwiseGrad.scale(x, 1f);
            Variable y = ElementwiseGrad.add(ElementwiseGrad.add(h, h), ElementwiseGrad.scale(h, 4f));
            ReductionsGrad.sumAll(y).backward();
            for (float g : x.grad().toFloatArray()) {
                assertEquals(6f, g);
            }
            x.zeroGrad();
        }
    }

    @Test
    void inPlaceSumEqualsTheOutOfPlaceSumBitwise() {
        // Gradients with many significant bits: (h * a_i) summed over i, a_i random (seed 17).
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(17);
            Variable x = Variable.parameter(Tensor.uniform(Device.CPU, rng, -1, 1, SHAPE));
            Variable h = ElementwiseGrad.scale(x, 1f);
            Tensor[] a = new Tensor[5];
            Variable y = null;
            for (int i = 0; i < a.length; i++) {
                a[i] = Tensor.uniform(Device.CPU, rng, -1, 1, SHAPE);
                Variable term = ElementwiseGrad.mul(h, Variable.constant(a[i]));
                y = y == null ? term : ElementwiseGrad.add(y, term);
            }
            ReductionsGrad.sumAll(y).backward();
            // Backward reaches the terms last-added first: a_4, a_3, ..., a_0, summed left to right.
            float[][] v = new float[a.length][];
            for (int i = 0; i < a.length; i++) {
                v[i] = a[i].toFloatArray();
            }
            float[] expected = new float[v[0].length];
            for (int j = 0; j < expected.length; j++) {
                float s = v[a.length - 1][j];
                for (int i = a.length - 2; i >= 0; i--) {
                    s += v[i][j];
                }
                expected[j] = s;
            }
            assertArrayEquals(expected, x.grad().toFloatArray());
            x.zeroGrad();
        }
    }

    /** Buffers allocated by backward of sum(h*1 + h*2 + ... + h*k), h = x*1. */
    private static long backwardAllocations(int consumers) {
        OpProfile profile = OpProfile.start();
        try (MemoryScope scope = MemoryScope.open()) {
            Variable x = Variable.parameter(Tensor.uniform(Device.CPU, new Rng(5), -1, 1, SHAPE));
            Variable h = ElementwiseGrad.scale(x, 1f);
            Variable y = null;
            for (int i = 1; i <= consumers; i++) {
                Variable term = ElementwiseGrad.scale(h, i);
                y = y == null ? term : ElementwiseGrad.add(y, term);
            }
            Variable loss = ReductionsGrad.sumAll(y);
            profile.reset();
            loss.backward();
            long calls = profile.rows().stream().filter(e -> e.name().equals("allocate")).mapToLong(OpProfile.Entry::calls)
                    .sum();
            float expected = consumers * (consumers + 1) / 2f;
            for (float g : x.grad().toFloatArray()) {
                assertEquals(expected, g);
            }
            x.zeroGrad();
            return calls;
        } finally {
            profile.stop();
        }
    }
}
