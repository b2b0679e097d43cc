package org.ducisc.cli;

import static org.ducisc.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.ducisc.cli.CliRun.Outcome;
import org.ducisc.core.Device;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 and 14.3 at the command line: inputs from the field read right, and every bad input
 * answered by one line naming the file or option and the problem, exit code 1, nothing left behind.
 */
class BadInputCommandsTest {
    static final String[] WINDOW = {"--patch", "16,16,16", "--stride-xy", "16", "--stride-z", "16"};

    @TempDir
    Path tmp;

    private static Path checkpoint;

    /** A tiny V-Net checkpoint (2 base filters, formula weights), written once per JVM. */
    static synchronized Path checkpoint() throws IOException {
        if (checkpoint == null) {
            network();
        }
        return checkpoint;
    }

    @BeforeAll
    static void network() throws IOException {
        if (checkpoint != null) {
            return;
        }
        checkpoint = Files.createTempDirectory("ducisc-input-test").resolve("net.safetensors");
        checkpoint.getParent().toFile().deleteOnExit();
        checkpoint.toFile().deleteOnExit();
        try (VNet net = new VNet(new VNet.Config(1, 2, 2, true, true), Device.CPU, new Rng(3), new Rng(4))) {
            DeterministicWeights.fill(net);
            Checkpoint.save(checkpoint, net, Map.of());
        }
    }


    static Path fixture(String name) {
        try {
            return Path.of(BadInputCommandsTest.class.getResource("/fixtures/data/input/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Exit code 1 and one stderr line holding every one of {@code parts}; none of {@code left} exists. */
    static void failsInOneLine(List<String> parts, List<Path> left, String... args) throws IOException {
        Outcome o = run(args);
        assertEquals(1, o.code(), String.join(" ", args) + "\n" + o.out() + o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        for (String part : parts) {
            assertTrue(o.err().contains(part), "'" + part + "' not in: " + o.err());
        }
        for (String banned : new String[] {"Exception", "null:", "java.", "at org."}) {
            assertFalse(o.err().contains(banned), "'" + banned + "' in: " + o.err());
        }
        for (Path p : left) {
            assertFalse(Files.exists(p), p + " was left behind");
        }
    }

    static List<Path> contents(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void metricsDecodesNiftiLabelsAsPredictDecodesImages() {
        Outcome o = run("metrics", "--pred", fixture("label_scaled.nii").toString(), "--gt",
                fixture("label_truth.nii").toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().startsWith("{\"dice\": 1.0, \"jaccard\": 1.0, \"hd95\": 0.0, \"asd\": 0.0, \"undefined\": false,"), o.out());
    }

    @Test
    void zScoreOfANonFiniteImageSaysSo() throws IOException {
        float[] v = new float[16 * 16 * 16];
        java.util.Random random = new java.util.Random(17);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        Volume image = Volume.ofFloats(new int[] {16, 16, 16}, v);
        v[100] = Float.NaN;
        v[200] = Float.POSITIVE_INFINITY;
        Path in = tmp.resolve("nan.nii");
        Nifti.write(in, image.withFloats(v));
        Path out = tmp.resolve("out").resolve("l.nii.gz");
        Outcome o = run(concat(WINDOW, "predict", "--checkpoint", checkpoint.toString(), "--z-score",
                "--input", in.toString(), "--output", out.toString()));
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("nan.nii") && o.err().contains("2 values are not finite")
                && !o.err().contains("constant"), o.err());
        assertFalse(Files.exists(out));
    }

    static String[] concat(String[] options, String command, String... rest) {
        String[] all = new String[1 + options.length + rest.length];
        all[0] = command;
        System.arraycopy(options, 0, all, 1, options.length);
        System.arraycopy(rest, 0, all, 1 + options.length, rest.length);
        return all;
    }

    /** Runs the CLI in a fresh JVM with {@code jvmOptions}; returns exit code and stderr. */
    static Outcome subprocess(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                .replaceAll("(?m)^WARNING: Using incubator modules.*\\R", "");
        return new Outcome(p.waitFor(), "", err);
    }

    @Test
    void jvmLimitsEndInOneLine() throws Exception {
        Outcome threads = subprocess(List.of("-Dducisc.threads=0"), "bench", "vnet", "--patch", "16,16,16",
                "--base-filters", "2", "--runs", "1");
        assertEquals(1, threads.code(), threads.err());
        assertEquals("ducisc: system property ducisc.threads=0: the CPU thread count must be a whole number >= 1",
                threads.err().strip());
        // 128^3 float32 image and uint8 label: about 10 MB of values, more than a 16 MB heap can read.
        Path h5 = tmp.resolve("big.h5");
        int[] shape = {128, 128, 128};
        org.ducisc.io.H5Volumes.write(h5, Volume.ofFloats(shape, new float[128 * 128 * 128]),
                Volume.ofLabels(shape, new byte[128 * 128 * 128]));
        Outcome heap = subprocess(List.of("-Xmx16m"), "metrics", "--pred", h5.toString(), "--gt", h5.toString());
        assertEquals(1, heap.code(), heap.err());
        assertEquals(1, heap.err().strip().lines().count(), heap.err());
        assertTrue(heap.err().contains("DUCISC_JAVA_OPTS=-Xmx") && heap.err().contains("MiB"), heap.err());
    }

    @Test
    void quietOnTheTerminalAndVerboseAnywhere() throws Exception {
        Path lzf = fixture("lzf.h5");
        Outcome read = subprocess(List.of(), "metrics", "--pred", lzf.toString(), "--gt", lzf.toString());
        assertEquals(0, read.code(), read.err());
        assertEquals("", read.err().strip(), "reading LZF prints nothing (no sun.misc.Unsafe warnings)");
        BadInputCommandsTest.failsInOneLine(List.of(tmp + ": is a folder, expected a file"), List.of(), concat(WINDOW,
                "predict", "--checkpoint", tmp.toString(), "--input", fixture("twoforms.nii").toString(), "--output",
                tmp.resolve("o.nii.gz").toString()));
        Outcome help = run("prepare-la", "--help");
        assertEquals(0, help.code());
        assertFalse(help.err().contains("picocli WARN") || help.out().contains("picocli WARN"), help.err());
        assertTrue(help.out().contains("first 80% /"), help.out());
        for (String[] args : new String[][] {{"--verbose", "metrics", "--pred", "missing.nii", "--gt", "missing.nii"},
            {"metrics", "--pred", "missing.nii", "--gt", "missing.nii", "--verbose"}}) {
            Outcome o = run(args);
            assertEquals(1, o.code());
            assertTrue(o.err().startsWith("ducisc: missing.nii: ") && o.err().lines().count() > 3,
                    "the trace follows the one line: " + o.err());
        }
    }

    /** phantom's range errors name its flags (--cases, --size), not the library's words; nothing is written. */
    @Test
    void phantomNamesItsFlags() {
        Outcome few = run("phantom", "--out", tmp.resolve("p1").toString(), "--cases", "0");
        assertEquals(1, few.code());
        assertEquals("ducisc: --cases must be in 2..10000 (one train and one test case at least), got 0", few.err().strip());
        Outcome flat = run("phantom", "--out", tmp.resolve("p2").toString(), "--size", "10,10");
        assertEquals(1, flat.code());
        assertEquals("ducisc: --size needs 3 numbers W,H,D, got 2", flat.err().strip());
        Outcome small = run("phantom", "--out", tmp.resolve("p3").toString(), "--size", "10,40,40");
        assertEquals("ducisc: --size must have each side in 32..1024, got 10x40x40", small.err().strip());
        for (String p : List.of("p1", "p2", "p3")) {
            assertFalse(Files.exists(tmp.resolve(p)), p);
        }
    }
}
