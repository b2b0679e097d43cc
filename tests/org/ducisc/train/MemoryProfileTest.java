package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ducisc.autograd.Variable;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.Device;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A long run must not grow: the live off-heap bytes between iterations and the peak within an
 * iteration are the same at iteration 10 and at the last one (student + EMA teacher + SGD, the
 * shape of a training run, on a tiny network).
 */
class MemoryProfileTest {
    @Test
    void liveAndPeakBytesStayFlatOverManyIterations() {
        CpuBackend cpu = CpuBackend.INSTANCE;
        Rng rng = new Rng(5);
        VNet.Config config = new VNet.Config(1, 2, 2, true, true);
        int iterations = 400;
        long liveAt10 = -1;
        long peakAt10 = -1;
        long live = 0;
        long peak = 0;
        try (VNet student = new VNet(config, Device.CPU, rng, new Rng(6));
             VNet teacher = new VNet(config, Device.CPU, rng, new Rng(7));
             Sgd sgd = new Sgd(student.parameters(), 0.01, 0.9, 1e-4)) {
            for (int it = 1; it <= iterations; it++) {
                cpu.resetPeak();
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = Tensor.normal(Device.CPU, rng, 0, 1, 2, 1, 16, 16, 16);
                    byte[] y = new byte[2 * 16 * 16 * 16];
                    for (int i = 0; i < y.length; i++) {
                        y[i] = (byte) (rng.nextFloat() < 0.4 ? 1 : 0);
                    }
                    Tensor label = Tensor.ofBytes(y, 2, 16, 16, 16);
                    VNet.Output out = student.forward(Variable.constant(x));
                    SegmentationLoss.supervised(out.outputs(), label).total().backward();
                    sgd.step();
                    sgd.zeroGrad();
                    Ema.update(teacher.parameters(), student.parameters(), it - 1, 0.99);
                }
                if (it == 10) {
                    liveAt10 = cpu.liveBytes();
                    peakAt10 = cpu.peakLiveBytes();
                }
                live = cpu.liveBytes();
                peak = cpu.peakLiveBytes();
            }
        }
        assertEquals(liveAt10, live, "live bytes between iterations grew from iteration 10 to " + iterations);
        assertEquals(peakAt10, peak, "peak bytes within an iteration grew from iteration 10 to " + iterations);
    }
}
