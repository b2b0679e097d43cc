package org.ducisc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ducisc.api.Image;
import org.ducisc.api.Segmentation;
import org.ducisc.api.Segmenter;
import org.ducisc.api.TrainingResult;
import org.ducisc.api.TrainingRun;
import org.ducisc.core.Device;
import org.ducisc.data.Phantom;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's entry points end to end on the CUDA device under test ({@link CudaTestDevice}) against
 * the CPU, tiny (2 base filters, a 32x32x16 patch, 3 iterations on a 6-case phantom): a TrainingRun
 * whose metrics.csv (every loss term and threshold of every iteration) matches the CPU run's, trained
 * as 2 iterations and then resumed for the third on both (so the saved training state is restored onto
 * the device), with the test-list evaluation's sliding window at its end; then a Segmenter on the run's
 * checkpoint, whose probabilities match the CPU's. Tolerances: measured CPU-vs-device differences
 * (printed), times about three; see MEASURED below.
 */
class CudaEndToEndTest {
    /*
     * MEASURED (emulated device, 2026-11-29, phantom seed 7, run seed 42, both sides 2 iterations + 1
     * resumed): metrics.csv largest relative difference 8.8e-6 with the current random streams, and 1.1e-3
     * with the streams before issue 14's seed change (in the third iteration, the first after the warm-up,
     * whose argmax pseudo labels can flip on a tie within rounding; see CudaNetworkTest). The tolerance
     * covers the larger: a flip is legitimate, not a fault. Segmenter probability largest absolute
     * difference 6.0e-8.
     */
    private static final double CSV_RTOL = 4e-3;
    private static final double PROBABILITY_ATOL = 2e-7;

    @TempDir
    static Path data;

    @TempDir
    Path runs;

    private static Device device;

    @BeforeAll
    static void phantom() throws Exception {
        device = CudaTestDevice.device();
        Phantom.writeDataset(data, 6, 7, new int[] {32, 32, 32});
    }

    private TrainingRun.Builder tiny(String name, Device on) {
        return TrainingRun.builder(data).labelnum(2).seed(42).baseFilters(2).patch(32, 32, 16).warmup(1)
                .checkpointEvery(2).output(runs.resolve(name)).device(on.toString());
    }

    private static List<double[]> rows(Path csv) throws java.io.IOException {
        List<double[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            double[] row = new double[cells.length];
            for (int i = 0; i < cells.length; i++) {
                row[i] = cells[i].isEmpty() ? Double.NaN : Double.parseDouble(cells[i]);
            }
            rows.add(row);
        }
        return rows;
    }

    @Test
    void trainingRunResumedOnTheDeviceAndSegmenterMatchTheCpu() throws Exception {
        tiny("cpu", Device.CPU).maxIterations(2).build().run(r -> { });
        TrainingResult cpu = tiny("cpu", Device.CPU).maxIterations(3).resume(true).build().run(r -> { });
        tiny("device", device).maxIterations(2).build().run(r -> { });
        TrainingResult onDevice = tiny("device", device).maxIterations(3).resume(true).build().run(r -> { });

        List<double[]> c = rows(runs.resolve("cpu/metrics.csv"));
        List<double[]> g = rows(runs.resolve("device/metrics.csv"));
        assertEquals(3, c.size());
        assertEquals(c.size(), g.size(), "rows of metrics.csv");
        double worst = 0;
        for (int k = 0; k < c.size(); k++) {
            for (int j = 0; j < c.get(k).length; j++) {
                double cv = c.get(k)[j];
                double gv = g.get(k)[j];
                assertEquals(Double.isNaN(cv), Double.isNaN(gv), "metrics.csv row " + k + " column " + j + " present");
                if (!Double.isNaN(cv)) {
                    double rel = Math.abs(gv - cv) / Math.max(Math.abs(cv), 1e-6);
                    worst = Math.max(worst, rel);
                    assertTrue(rel <= CSV_RTOL, "metrics.csv row " + k + " column " + j + ": cpu " + cv + ", " + device
                            + " " + gv);
                }
            }
        }
        assertTrue(onDevice.testCases() > 0 && onDevice.lastTest() != null, "the device run evaluated the test list");

        int[] shape = {33, 31, 21};
        float[] voxels = new float[shape[0] * shape[1] * shape[2]];
        Rng rng = new Rng(CudaTestDevice.seed());
        for (int i = 0; i < voxels.length; i++) {
            voxels[i] = (float) rng.nextGaussian();
        }
        Image image = Image.of(voxels, shape, new double[] {1, 1, 1});
        Segmentation sc;
        Segmentation sg;
        try (Segmenter s = Segmenter.builder(cpu.lastCheckpoint()).patch(32, 32, 16).strides(16, 8).device("cpu").build()) {
            sc = s.predict(image);
        }
        try (Segmenter s = Segmenter.builder(cpu.lastCheckpoint()).patch(32, 32, 16).strides(16, 8)
                .device(device.toString()).build()) {
            sg = s.predict(image);
        }
        float[] pc = sc.foregroundProbability();
        float[] pg = sg.foregroundProbability();
        double worstProbability = 0;
        for (int i = 0; i < pc.length; i++) {
            worstProbability = Math.max(worstProbability, Math.abs(pg[i] - pc[i]));
        }
        System.out.println(String.format(Locale.ROOT, "CudaEndToEndTest on %s: metrics.csv largest relative difference "
                + "%.2e; Segmenter probability largest absolute difference %.2e", device, worst, worstProbability));
        assertTrue(worstProbability <= PROBABILITY_ATOL, "Segmenter probability: largest difference " + worstProbability);
    }
}
