package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

class VNetTest {
    @Test
    void plainVNetHasOneHeadAndReturnsFeatures() {
        try (VNet net = new VNet(new VNet.Config(1, 2, 2, true, false), Device.CPU, new Rng(1), new Rng(2));
             MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.disabled()) {
            assertFalse(net.stateDict().contains("out_conv_2.weight"));
            VNet.Output out = net.forward(Variable.constant(Tensor.normal(Device.CPU, new Rng(3), 0, 1, 1, 1, 16, 32, 16)));
            assertEquals(1, out.outputs().size());
            assertArrayEquals(new long[] {1, 2, 16, 32, 16}, out.logits().shape());
            assertArrayEquals(new long[] {1, 16, 2, 4, 2}, out.features().get(3).shape());
        }
    }

    @Test
    void dropoutActsInTrainingOnlyAndFollowsItsGenerator() {
        VNet.Config config = new VNet.Config(1, 2, 2, true, true);
        try (VNet a = new VNet(config, Device.CPU, new Rng(1), new Rng(9));
             VNet b = new VNet(config, Device.CPU, new Rng(1), new Rng(9)); MemoryScope scope = MemoryScope.open();
             GradMode off = GradMode.disabled()) {
            Tensor x = Tensor.normal(Device.CPU, new Rng(3), 0, 1, 2, 1, 16, 16, 16);
            float[] trainA = a.forward(Variable.constant(x)).logits().value().toFloatArray();
            float[] trainB = b.forward(Variable.constant(x)).logits().value().toFloatArray();
            assertArrayEquals(trainA, trainB, "same seeds, same dropout masks");
            float[] trainA2 = a.forward(Variable.constant(x)).logits().value().toFloatArray();
            assertNotEquals(java.util.Arrays.hashCode(trainA), java.util.Arrays.hashCode(trainA2), "fresh masks per pass");
            a.eval();
            float[] evalA = a.forward(Variable.constant(x)).logits().value().toFloatArray();
            float[] evalA2 = a.forward(Variable.constant(x)).logits().value().toFloatArray();
            assertArrayEquals(evalA, evalA2, "no dropout in eval mode");
            assertTrue(a.parameterCount() > 0);
        }
    }
}
