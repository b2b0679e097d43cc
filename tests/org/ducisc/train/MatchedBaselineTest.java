package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.data.TrainBatch;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 5: the matched baseline takes DuCiSC's step (the supervised loss divided by its own
 * detached value), the plain one the plain loss; on the same batch their first updates differ exactly by
 * the factor 1 / L_sup.
 */
class MatchedBaselineTest {
    @Test
    void theMatchedStepIsThePlainStepDividedByTheLoss() {
        VNet.Config config = new VNet.Config(1, 2, 2, false, true);
        long seed = 31;
        Rng rng = new Rng(977);
        int[] size = {2, 1, 16, 16, 16};
        float[] x = new float[2 * 16 * 16 * 16];
        byte[] y = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
            y[i] = (byte) (rng.nextDouble() < 0.3 ? 1 : 0);
        }
        float[][] delta = new float[2][];
        double[] sup = new double[2];
        for (int run = 0; run < 2; run++) {
            boolean matched = run == 1;
            try (VNet net = Trainer.network(config, Device.CPU, seed, false);
                 Sgd sgd = new Sgd(net.parameters(), 0.01, 0.0, 0.0);
                 Tensor image = Tensor.of(x, 2, 1, 16, 16, 16);
                 Tensor label = Tensor.fromHost(Device.CPU, DType.UINT8, java.lang.foreign.MemorySegment.ofArray(y),
                         new long[] {2, 16, 16, 16});
                 TrainBatch batch = new TrainBatch(0, 0, List.of("a", "b"), List.of(), image.slice(0, 2),
                         label.slice(0, 2))) {
                float[] before = net.parameters().get(0).value().toFloatArray();
                DuciscStep.Losses l = Trainer.supervisedStep(net, sgd, batch, image, label, matched);
                float[] after = net.parameters().get(0).value().toFloatArray();
                delta[run] = new float[before.length];
                for (int i = 0; i < before.length; i++) {
                    delta[run][i] = after[i] - before[i];
                }
                sup[run] = l.supervised();
                assertEquals(matched ? 1.0 : l.supervised(), l.optimised(), 1e-6, "the optimised value");
            }
        }
        assertEquals(sup[0], sup[1], 0.0, "same initial weights and batch, same loss");
        assertTrue(Math.abs(sup[0] - 1) > 0.1 && sup[0] < 10, "a loss away from 1 tells the steps apart: " + sup[0]);
        int compared = 0;
        for (int i = 0; i < delta[0].length; i++) {
            if (Math.abs(delta[0][i]) > 1e-6) {
                // float32 weights of magnitude < 1: their differences carry an absolute error of a few 1e-8.
                assertEquals(delta[0][i] / sup[0], delta[1][i], 1e-2 * Math.abs(delta[0][i] / sup[0]) + 2e-7, "weight " + i);
                compared++;
            }
        }
        assertTrue(compared > delta[0].length / 2, compared + " of " + delta[0].length);
    }
}
