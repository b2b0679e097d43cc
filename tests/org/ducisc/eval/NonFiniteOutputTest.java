package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.io.Volume;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 6: a NaN probability map thresholds to "no foreground"; it is an error instead, naming
 * the case, and so is an image with non-finite voxels.
 */
class NonFiniteOutputTest {
    private static final int[] SHAPE = {19, 17, 16};
    private static final SlidingWindow WINDOW = new SlidingWindow(new int[] {16, 16, 16}, 8, 8);

    @TempDir
    Path dir;

    /** A network with one weight tensor set to NaN in memory (a checkpoint with it is refused at load). */
    private static VNet nanNetwork() {
        VNet net = new VNet(new VNet.Config(1, 2, 2, false, true), Device.CPU, new Rng(1), new Rng(2));
        Tensor w = net.parameters().get(3).value();
        float[] v = w.toFloatArray();
        v[v.length / 2] = Float.NaN;
        try (Tensor t = Tensor.of(v, w.shape())) {
            w.copyFrom(t);
        }
        return net;
    }

    @Test
    void aNonFiniteProbabilityIsAnError() {
        float[] image = new float[SHAPE[0] * SHAPE[1] * SHAPE[2]];
        Arrays.fill(image, 0.25f);
        try (VNet net = nanNetwork()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WINDOW.foregroundProbability(net, Volume.ofFloats(SHAPE, image)));
            assertTrue(e.getMessage().startsWith("the network's foreground probability is not finite at "), e.getMessage());
        }
    }

    @Test
    void anImageWithNonFiniteVoxelsIsRefused() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] image = new float[SHAPE[0] * SHAPE[1] * SHAPE[2]];
            image[123] = bad;
            try (VNet net = new VNet(new VNet.Config(1, 2, 2, false, true), Device.CPU, new Rng(1), new Rng(2))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> WINDOW.foregroundProbability(net, Volume.ofFloats(SHAPE, image)));
                assertTrue(e.getMessage().equals("the image is not finite at 1 of " + image.length
                        + " voxels (first at index 123, " + bad + ")"), e.getMessage());
            }
        }
    }

    @Test
    void evaluationNamesTheCase() throws Exception {
        Phantom.writeDataset(dir, 3, 5, new int[] {32, 32, 32});
        Dataset dataset = Dataset.open("LA", dir);
        List<String> cases = dataset.testCases();
        try (VNet net = nanNetwork()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Evaluation.run(net, dataset, cases, WINDOW, false, MetricRules.REFERENCE, null));
            assertTrue(e.getMessage().startsWith("case " + cases.get(0) + ": the network's foreground probability"),
                    e.getMessage());
        }
    }
}
