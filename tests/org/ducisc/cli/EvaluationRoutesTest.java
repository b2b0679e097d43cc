package org.ducisc.cli;

import static org.ducisc.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ducisc.api.EvaluationReport;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three routes to a case list's metrics give the same numbers on one checkpoint: the API
 * ({@link Segmenter#evaluate}), the {@code test} command (its CSV report, which carries no timings) and
 * the validation inside training ({@code Trainer.evaluate}). Phantom data (seed 11, 32 x 40 x 36 voxels),
 * a 4-filter V-Net with formula weights, patch 32, strides 16 / 8.
 */
class EvaluationRoutesTest {
    @TempDir
    Path tmp;

    @Test
    void apiTestCommandAndValidationGiveTheSameMetrics() throws IOException {
        Path root = tmp.resolve("data");
        Phantom.writeDataset(root, 3, 11, new int[] {32, 40, 36});
        Path checkpoint = tmp.resolve("net.safetensors");
        try (VNet net = new VNet(new VNet.Config(1, 2, 4, true, true), Device.CPU, new Rng(3), new Rng(4))) {
            DeterministicWeights.fill(net);
            Checkpoint.save(checkpoint, net, Map.of());
        }
        Dataset dataset = Dataset.open("LA", root);
        List<String> cases = new ArrayList<>(dataset.trainCases());
        cases.addAll(dataset.testCases());
        Path list = tmp.resolve("all.list");
        Files.writeString(list, String.join("\n", cases) + "\n");

        EvaluationReport api;
        try (Segmenter s = Segmenter.builder(checkpoint).device("cpu").patch(32, 32, 32).strides(16, 8)
                .largestComponent(false).build()) {
            api = s.evaluate(root, "LA", cases, "reference", null);
        }
        assertEquals(cases.size(), api.cases().size());
        assertTrue(api.cases().stream().anyMatch(c -> c.metrics().dice() > 0), "some foreground expected: " + api.toCsv());

        Path report = tmp.resolve("r");
        CliRun.Outcome r = run("test", "--root-path", root.toString(), "--checkpoint", checkpoint.toString(), "--list",
                list.toString(), "--report", report.toString(), "--patch", "32,32,32", "--stride-xy", "16", "--stride-z", "8",
                "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(api.toCsv(), Files.readString(tmp.resolve("r.csv")), "the test command's CSV");
        assertTrue(r.out().contains(api.summaryLine()), r.out());

        try (VNet net = Checkpoint.load(checkpoint, Device.CPU)) {
            assertEquals(api.summary(), org.ducisc.train.Trainer.evaluate(net, dataset, cases,
                    new SlidingWindow(new int[] {32, 32, 32}, 16, 8), MetricRules.REFERENCE), "the validation's summary");
        }
    }
}
