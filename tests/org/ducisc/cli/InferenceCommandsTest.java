package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.ducisc.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.SegmentationMetrics;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.CaseData;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.runtime.Backends;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code test}, {@code predict} and {@code metrics} on a tiny phantom data set with a 4-filter network
 * (formula weights, so its predictions are partly foreground): the numbers they print and write are those
 * of the library calls with the same settings, outputs keep the input's geometry, and bad input gives one
 * line, exit code 1 and no output file.
 */
class InferenceCommandsTest {
    private static final SlidingWindow WINDOW = new SlidingWindow(new int[] {32, 32, 32}, 16, 8);
    private static final String[] WINDOW_ARGS = {"--patch", "32,32,32", "--stride-xy", "16", "--stride-z", "8"};

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    static Path root;
    static Path checkpoint;

    @BeforeAll
    static void dataAndCheckpoint() throws IOException {
        root = shared.resolve("data");
        // 32 x 40 x 36: one window along W, two overlapping ones along H and D.
        Phantom.writeDataset(root, 3, 11, new int[] {32, 40, 36});
        checkpoint = shared.resolve("net.safetensors");
        try (VNet net = network()) {
            Checkpoint.save(checkpoint, net, Map.of());
        }
    }

    private static VNet network() {
        VNet net = new VNet(new VNet.Config(1, 2, 4, true, true), Device.CPU, new Rng(3), new Rng(4));
        DeterministicWeights.fill(net);
        return net;
    }


    /** The subcommand with the test's window options, then {@code rest}. */
    private static String[] windowed(String command, String... rest) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(WINDOW_ARGS));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    private static String py5(double v) {
        return String.format(Locale.ROOT, "%.5f", v);
    }

    @Test
    void testPrintsAndWritesTheMetricsOfEachCase() throws IOException {
        Dataset dataset = Dataset.open("LA", root);
        List<String> cases = new ArrayList<>(dataset.trainCases());
        cases.addAll(dataset.testCases());
        Path list = tmp.resolve("all.list");
        Files.writeString(list, String.join("\n", cases) + "\n");
        Path report = tmp.resolve("reports").resolve("r");
        CliRun.Outcome r = run(windowed("test", "--dataset_name", "LA", "--root_path", root.toString(),
                "--checkpoint", checkpoint.toString(), "--list", list.toString(), "--report", report.toString(), "--nms",
                "--device", "cpu", "--save-predictions", tmp.resolve("pred").toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("device: cpu")), r.out());

        List<CaseMetrics> want = new ArrayList<>();
        try (VNet net = network()) {
            for (String c : cases) {
                CaseData data = dataset.read(c);
                Volume label = SlidingWindow.threshold(WINDOW.foregroundProbability(net, data.image()), true);
                want.add(SegmentationMetrics.evaluate(label.labels(), data.label().labels(), label.shape()));
                assertArrayEquals(label.labels(), Nifti.readLabels(tmp.resolve("pred").resolve(c + "_pred.nii.gz")).labels());
            }
        }
        assertTrue(want.stream().anyMatch(m -> m.dice() > 0), "the network should predict some foreground: " + want);
        List<String> lines = r.out().lines().toList();
        double[] sum = new double[4];
        for (int i = 0; i < cases.size(); i++) {
            CaseMetrics m = want.get(i);
            String line = String.format(Locale.ROOT, "%02d,\t%s, %s, %s, %s", i, py5(m.dice()), py5(m.jaccard()),
                    py5(m.hd95()), py5(m.asd()));
            String marked = line + (m.undefined() ? "\tundefined (empty prediction or ground truth)" : "");
            assertTrue(lines.contains(marked), "missing '" + marked + "' in\n" + r.out());
            sum[0] += m.dice();
        }
        String summary = lines.stream().filter(l -> l.startsWith("mean (std):")).findFirst().orElseThrow();
        assertTrue(summary.startsWith("mean (std):\t" + py5(sum[0] / cases.size()) + " ("), summary);

        String json = Files.readString(report.resolveSibling("r.json"));
        String csv = Files.readString(report.resolveSibling("r.csv"));
        List<String> rows = csv.lines().toList();
        assertEquals("index,case,dice,jaccard,hd95,asd,undefined", rows.get(0));
        assertEquals(cases.size() + 4, rows.size(), csv);
        for (int i = 0; i < cases.size(); i++) {
            CaseMetrics m = want.get(i);
            assertEquals(i + "," + cases.get(i) + "," + m.dice() + "," + m.jaccard() + "," + m.hd95() + "," + m.asd()
                    + "," + (m.undefined() ? 1 : 0), rows.get(i + 1));
            Matcher jm = Pattern.compile("\"case\": \"" + cases.get(i) + "\", \"dice\": ([^,]+), \"jaccard\": ([^,]+), "
                    + "\"hd95\": ([^,]+), \"asd\": ([^,]+),").matcher(json);
            assertTrue(jm.find(), json);
            assertEquals(m.dice(), Double.parseDouble(jm.group(1)));
            assertEquals(m.asd(), Double.parseDouble(jm.group(4)));
        }
        assertTrue(rows.get(cases.size() + 1).startsWith(",mean,"), csv);
        assertTrue(json.contains("\"stride_xy\": 16") && json.contains("\"patch\": [32, 32, 32]")
                && json.contains("\"nms\": true"), json);
        try (Stream<Path> files = Files.list(report.getParent())) {
            assertEquals(2, files.count(), "no temporary files left beside the reports");
        }
    }

    @Test
    void predictKeepsTheGeometryOfANiftiInputAndHandlesFolders() throws IOException {
        CaseData data = Phantom.generate(0, 5, new int[] {33, 32, 34});
        double[][] affine = {{0, -1.5, 0, 10}, {0.8, 0, 0, -4}, {0, 0, 2.5, 7}, {0, 0, 0, 1}};
        Volume image = Volume.ofFloats(data.image().shape(), data.image().floats(), new double[] {0.8, 1.5, 2.5}, affine);
        Path in = tmp.resolve("in");
        Nifti.write(in.resolve("scan.nii.gz"), image);
        H5Volumes.write(in.resolve("caseB").resolve("mri_norm2.h5"), data.image(), data.label());
        Path single = tmp.resolve("single").resolve("scan_label.nii.gz");
        Path prob = tmp.resolve("single").resolve("scan_prob.nii");
        CliRun.Outcome r = run(windowed("predict", "--checkpoint", checkpoint.toString(), "--input",
                in.resolve("scan.nii.gz").toString(), "--output", single.toString(), "--probabilities", prob.toString()));
        assertEquals(0, r.code(), r.err());
        Volume labels = Nifti.readLabels(single);
        Volume probability = Nifti.read(prob);
        try (VNet net = network()) {
            Volume want = WINDOW.foregroundProbability(net, Nifti.read(in.resolve("scan.nii.gz")));
            assertArrayEquals(want.floats(), probability.floats());
            assertArrayEquals(SlidingWindow.threshold(want, false).labels(), labels.labels());
        }
        for (Volume v : List.of(labels, probability)) {
            assertArrayEquals(image.shape(), v.shape());
            for (int row = 0; row < 4; row++) {
                assertArrayEquals(affine[row], v.affine()[row], 1e-6);
            }
        }

        Path outDir = tmp.resolve("outDir");
        CliRun.Outcome folder = run(windowed("predict", "--checkpoint", checkpoint.toString(), "--input",
                in.toString(), "--output", outDir.toString()));
        assertEquals(0, folder.code(), folder.err());
        assertArrayEquals(labels.labels(), Nifti.readLabels(outDir.resolve("scan.nii.gz")).labels());
        assertArrayEquals(labels.labels(), Nifti.readLabels(outDir.resolve("caseB.nii.gz")).labels(),
                "the h5 case holds the same image");
    }

    @Test
    void metricsPrintsOneJsonObject() throws IOException {
        int[] shape = {9, 8, 7};
        byte[] p = new byte[9 * 8 * 7];
        byte[] t = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i % 5 < 2 && i > 100 ? 1 : 0);
            t[i] = (byte) (i % 7 < 3 && i < 400 ? 1 : 0);
        }
        Path pred = tmp.resolve("p.nii.gz");
        Path gt = tmp.resolve("g.nii");
        Nifti.write(pred, Volume.ofLabels(shape, p));
        Nifti.write(gt, Volume.ofLabels(shape, t));
        CliRun.Outcome r = run("metrics", "--pred", pred.toString(), "--gt", gt.toString(), "--spacing", "0.5,1,2.5");
        assertEquals(0, r.code(), r.err());
        CaseMetrics m = SegmentationMetrics.evaluate(p, t, shape, new double[] {0.5, 1, 2.5});
        assertEquals("{\"dice\": " + m.dice() + ", \"jaccard\": " + m.jaccard() + ", \"hd95\": " + m.hd95()
                + ", \"asd\": " + m.asd() + ", \"undefined\": false, \"metric_rules\": \"reference\"}", r.out().strip());

        Path empty = tmp.resolve("empty.nii");
        Nifti.write(empty, Volume.ofLabels(shape, new byte[p.length]));
        CliRun.Outcome noTruth = run("metrics", "--pred", pred.toString(), "--gt", empty.toString());
        assertEquals(0, noTruth.code(), noTruth.err());
        assertEquals("{\"dice\": 0.0, \"jaccard\": 0.0, \"hd95\": null, \"asd\": null, \"undefined\": true,"
                + " \"metric_rules\": \"reference\"}", noTruth.out().strip());
        CliRun.Outcome monai = run("metrics", "--pred", pred.toString(), "--gt", empty.toString(), "--metric-rules", "monai");
        assertEquals("{\"dice\": null, \"jaccard\": null, \"hd95\": null, \"asd\": null, \"undefined\": true,"
                + " \"metric_rules\": \"monai\"}", monai.out().strip());
    }

    /** One line on stderr naming {@code mention}, exit code 1, and none of {@code outputs} exists. */
    private static void failsCleanly(String mention, List<Path> outputs, String... args) throws IOException {
        CliRun.Outcome r = run(args);
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(mention), "'" + mention + "' not in: " + r.err());
        for (Path p : outputs) {
            assertFalse(Files.exists(p), p + " was left behind");
            if (Files.isDirectory(p.getParent())) {
                try (Stream<Path> files = Files.list(p.getParent())) {
                    assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "temporary file left");
                }
            }
        }
    }

    /** Issue 14, item 7: an output that is the input or the other output is refused; the input is untouched. */
    @Test
    void outputsThatAreInputsOrEachOtherAreRefused() throws IOException {
        Path image = tmp.resolve("in").resolve("image.nii.gz");
        Files.createDirectories(image.getParent());
        Nifti.write(image, Phantom.generate(1, 5, new int[] {32, 32, 32}).image());
        byte[] before = Files.readAllBytes(image);
        String ckpt = checkpoint.toString();
        failsCleanly("is the same file as --input", List.of(), windowed("predict", "--checkpoint", ckpt, "--input",
                image.toString(), "--output", tmp.resolve("in/./image.nii.gz").toString()));
        Path out = tmp.resolve("out").resolve("label.nii.gz");
        failsCleanly("--probabilities", List.of(out), windowed("predict", "--checkpoint", ckpt, "--input",
                image.toString(), "--output", out.toString(), "--probabilities",
                tmp.resolve("out/../out/label.nii.gz").toString()));
        // A folder of inputs written into itself: image.nii.gz -> image.nii.gz.
        failsCleanly("is the same file as --input", List.of(), windowed("predict", "--checkpoint", ckpt, "--input",
                image.getParent().toString(), "--output", image.getParent().toString()));
        assertArrayEquals(before, Files.readAllBytes(image), "the input is untouched");
    }

    /** Issue 14, item 6: NaN weights are refused by name before any output is written. */
    @Test
    void nanWeightsAreRefusedNamingTheTensor() throws IOException {
        Path out = tmp.resolve("nf").resolve("label.nii.gz");
        // NaN weights are refused when the checkpoint is loaded, naming the tensor.
        Path nanWeights = tmp.resolve("nan.safetensors");
        try (VNet net = network()) {
            org.ducisc.tensor.Tensor w = net.parameters().get(5).value();
            float[] nan = new float[Math.toIntExact(w.numel())];
            java.util.Arrays.fill(nan, Float.NaN);
            try (org.ducisc.tensor.Tensor t = org.ducisc.tensor.Tensor.of(nan, w.shape())) {
                w.copyFrom(t);
            }
            Checkpoint.save(nanWeights, net, Map.of());
        }
        Path image = tmp.resolve("image.nii.gz");
        Nifti.write(image, Phantom.generate(1, 5, new int[] {32, 32, 32}).image());
        failsCleanly("nan.safetensors: tensor \"", List.of(out), windowed("predict", "--checkpoint",
                nanWeights.toString(), "--input", image.toString(), "--output", out.toString()));
        failsCleanly("NaN at index 0", List.of(), windowed("test", "--root-path", root.toString(), "--checkpoint",
                nanWeights.toString(), "--report", tmp.resolve("nf").resolve("r").toString()));
    }

    @Test
    void badInputFailsOnOneLineWithoutOutput() throws IOException {
        Path out = tmp.resolve("o").resolve("label.nii.gz");
        Path image = tmp.resolve("image.nii.gz");
        Nifti.write(image, Phantom.generate(1, 5, new int[] {32, 32, 32}).image());
        String ckpt = checkpoint.toString();

        failsCleanly("missing.nii.gz", List.of(out), windowed("predict", "--checkpoint", ckpt,
                "--input", tmp.resolve("missing.nii.gz").toString(), "--output", out.toString()));
        failsCleanly("nope.safetensors", List.of(out), windowed("predict", "--checkpoint",
                tmp.resolve("nope.safetensors").toString(), "--input", image.toString(), "--output", out.toString()));
        Path report = tmp.resolve("rep").resolve("r");
        failsCleanly("nope.safetensors", List.of(report.resolveSibling("r.json"), report.resolveSibling("r.csv")),
                windowed("test", "--root-path", root.toString(), "--checkpoint",
                        tmp.resolve("nope.safetensors").toString(), "--report", report.toString()));
        failsCleanly("no LA data set", List.of(report.resolveSibling("r.json")), "test", "--root-path",
                tmp.resolve("nowhere").toString(), "--checkpoint", ckpt, "--report", report.toString());

        // Unwritable: the output's folder would have to be inside a regular file.
        Path blocker = tmp.resolve("blocker");
        Files.writeString(blocker, "a file, not a folder");
        Path blocked = blocker.resolve("label.nii.gz");
        failsCleanly("blocker", List.of(blocked), windowed("predict", "--checkpoint", ckpt, "--input",
                image.toString(), "--output", blocked.toString()));
        failsCleanly("blocker", List.of(blocker.resolve("r.json")), windowed("test", "--root-path",
                root.toString(), "--checkpoint", ckpt, "--report", blocker.resolve("r").toString()));
        failsCleanly(".nii", List.of(tmp.resolve("label.png")), windowed("predict", "--checkpoint", ckpt,
                "--input", image.toString(), "--output", tmp.resolve("label.png").toString()));
        if (Backends.select("auto").device().kind() == Device.Kind.CPU) { // no usable GPU on this machine
            failsCleanly("--gpu 0: ", List.of(out), windowed("predict", "--checkpoint", ckpt, "--gpu", "0",
                    "--input", image.toString(), "--output", out.toString()));
            failsCleanly("--device cuda: ", List.of(report.resolveSibling("r.json")), windowed("test", "--root-path",
                    root.toString(), "--checkpoint", ckpt, "--device", "cuda", "--report", report.toString()));
        }

        Path small = tmp.resolve("small.nii");
        Nifti.write(small, Volume.ofLabels(new int[] {4, 5, 6}, new byte[120]));
        Path cube = tmp.resolve("cube.nii");
        Nifti.write(cube, Volume.ofLabels(new int[] {4, 6, 5}, new byte[120]));
        failsCleanly("has shape 4x6x5", List.of(), "metrics", "--pred", small.toString(), "--gt", cube.toString());
        failsCleanly("missing.nii", List.of(), "metrics", "--pred", tmp.resolve("missing.nii").toString(), "--gt",
                small.toString());
        failsCleanly("--spacing", List.of(), "metrics", "--pred", small.toString(), "--gt", small.toString(),
                "--spacing", "1,0,1");
    }
}
