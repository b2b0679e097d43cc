package org.ducisc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.StateDict;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.DuciscStep;
import org.ducisc.train.Sgd;
import org.ducisc.train.Thresholds;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The V-Net and DuCiSC training on the CUDA device under test ({@link CudaTestDevice}: the emulated
 * device in every mvn test; a GPU in bench/gpu/run.sh) against the CPU from the same weights and
 * batches: one forward + backward (every output and parameter gradient), then DuCiSC iterations past
 * the warm-up (every loss term and threshold of every iteration, and the weights at the end). Sizes:
 * 2 base filters, 2 x 32^3 and 2 iterations here; 16 filters, 2 x 32^3 and 20 iterations with
 * -Dducisc.test.fullSize=true (the GPU session).
 *
 * <p>Reproducibility, measured rather than assumed: the CPU step is bitwise reproducible (two runs from
 * the same weights and batches agree in every bit of every loss, threshold and weight; tested below, as
 * README's resume claim says), and so is the device's (its kernels use no float atomics and fixed
 * reduction orders; tested below). The two backends differ only by float32 rounding order (the CPU
 * sums in double in its own blocking, the kernels in theirs), which the ops keep within 1e-4 and which
 * training compounds: the tolerances below are the largest CPU-vs-device differences measured on the
 * emulated device with the default seed, times about three (see MEASURED).
 * An earlier version of this test claimed the CPU step drifted from run to run; that came from its
 * CPU stand-in harness, not from the CPU backend, and the test below shows it does not.
 */
class CudaNetworkTest {
    private static final boolean FULL = CudaTestDevice.fullSize();
    private static final long[] IMAGE = {2, 1, 32, 32, 32};
    private static final int BASE_FILTERS = FULL ? 16 : 2;
    private static final int ITERATIONS = FULL ? 20 : 2;
    /** Single forward + backward: outputs, loss and parameter gradients, of |cpu| + rms(cpu) (measured 1.5e-5). */
    private static final double RTOL = 5e-5;
    /*
     * MEASURED on the emulated device (2 filters, 2 x 32^3, default seeds, 2026-11-29), largest relative
     * CPU-vs-device difference: forward + backward, every gradient 1.5e-5 of |cpu| + rms(cpu); over the first
     * 2 DuCiSC iterations, losses 3.4e-6 (mix prototype; supervised 1.4e-7), thresholds 1.4e-8, weights at the
     * end 2.4e-5 of |cpu| + rms(cpu). From the 4th iteration on the runs drift apart visibly (measured over 4:
     * pseudo-label 1.2e-3, prototype 3.0e-2, mix prototype 6.6e-3): an argmax pseudo label or a confidence
     * mask flips on a voxel whose teacher logits tie within rounding, and the prototype terms (cosine
     * similarities of means over a few hundred voxels) move most. So the first 2 iterations are held to the
     * measured differences times about three, later ones (full size only) to the 4-iteration ones times three.
     */
    private static final int TIGHT_ITERATIONS = 2;
    private static final double LOSS_RTOL = 1e-5;
    private static final double THRESHOLD_RTOL = 1e-7;
    /** Per term of a step row (5 losses, then 8 thresholds), relative, after the first TIGHT_ITERATIONS. */
    private static final double[] DRIFT_RTOL = {3e-3, 4e-3, 3e-4, 1e-1, 2e-2, 2e-4, 2e-4, 2e-4, 2e-4, 2e-4, 2e-4, 2e-4,
        2e-4};
    /** Weights after the iterations, of |cpu| + rms(cpu) (noise-only tensors aside, see compareGradients). */
    private static final double WEIGHT_RTOL = FULL ? 1e-1 : 1e-4;
    private static Device cuda;

    @BeforeAll
    static void openDevice() {
        cuda = CudaTestDevice.device();
        System.out.println("CudaNetworkTest on " + cuda + ", " + (FULL ? "full size" : "small size"));
    }

    /** The same seed gives both sides the same dropout masks (drawn on the host); the weights are copied too. */
    private static VNet net(Device device, long seed) {
        return new VNet(VNet.Config.defaults().withBaseFilters(BASE_FILTERS), device, new Rng(seed), new Rng(seed + 1));
    }

    /** Copies every tensor of {@code from}'s state into {@code to} (any devices). */
    private static void copyState(VNet from, VNet to) {
        StateDict src = from.stateDict();
        StateDict dst = to.stateDict();
        for (String name : src.names()) {
            if (!src.isCounter(name)) {
                dst.tensor(name).copyFrom(src.tensor(name));
            }
        }
    }

    private static Tensor image(Rng rng, Device device) {
        return MemoryScope.unscoped(() -> Tensor.normal(device, rng, 0, 1, IMAGE));
    }

    /** A label with both classes: a ball of random radius at a random centre, per case. */
    private static byte[] label(java.util.Random r) {
        int n = (int) IMAGE[0];
        int w = (int) IMAGE[2];
        int h = (int) IMAGE[3];
        int d = (int) IMAGE[4];
        byte[] v = new byte[n * w * h * d];
        for (int c = 0; c < n; c++) {
            double cx = w * (0.3 + 0.4 * r.nextDouble());
            double cy = h * (0.3 + 0.4 * r.nextDouble());
            double cz = d * (0.3 + 0.4 * r.nextDouble());
            double radius = 4 + 6 * r.nextDouble();
            for (int x = 0; x < w; x++) {
                for (int y = 0; y < h; y++) {
                    for (int z = 0; z < d; z++) {
                        double dist = Math.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz));
                        v[((c * w + x) * h + y) * d + z] = (byte) (dist < radius ? 1 : 0);
                    }
                }
            }
        }
        return v;
    }

    /** Largest |gpu - cpu| / (|cpu| + rms(cpu)) seen by the tensor comparisons of the running test. */
    private static double largestSeen;

    private static void compare(List<String> failures, String what, Tensor cpu, Tensor gpu) {
        float[] c = cpu.toFloatArray();
        float[] g = gpu.toFloatArray();
        double sq = 0;
        for (float v : c) {
            sq += (double) v * v;
        }
        double rms = Math.sqrt(sq / Math.max(1, c.length));
        int bad = 0;
        int worst = -1;
        for (int i = 0; i < c.length; i++) {
            largestSeen = Math.max(largestSeen, Math.abs(g[i] - c[i]) / (Math.abs(c[i]) + rms + 1e-30));
            if (!(Math.abs(g[i] - c[i]) <= RTOL * (Math.abs(c[i]) + rms))) {
                bad++;
                worst = i;
            }
        }
        if (bad > 0) {
            failures.add(what + ": " + bad + " of " + c.length + " off, e.g. [" + worst + "] gpu " + g[worst] + ", cpu "
                    + c[worst] + " (rms " + rms + ")");
        }
    }

    private static void compare(List<String> failures, String what, double cpu, double gpu) {
        compare(failures, what, cpu, gpu, RTOL);
    }

    private static void compare(List<String> failures, String what, double cpu, double gpu, double rtol) {
        if (!(Math.abs(gpu - cpu) <= rtol * Math.abs(cpu) + 1e-6) && !(Double.isNaN(cpu) && Double.isNaN(gpu))) {
            failures.add(what + ": gpu " + gpu + ", cpu " + cpu);
        }
    }

    /**
     * Parameter gradients; the bias of a convolution that feeds a training-mode batch norm has an exact
     * gradient of zero, so its computed value is rounding noise (about 1e-8 of the other gradients) that
     * differs between any two summation orders: such a gradient must only be that small on both sides.
     */
    private static void compareGradients(List<String> failures, Map<String, Variable> cpu, Map<String, Variable> gpu) {
        double largest = 0;
        for (Variable v : cpu.values()) {
            largest = Math.max(largest, rms(v.grad().toFloatArray()));
        }
        for (String name : cpu.keySet()) {
            Tensor c = cpu.get(name).grad();
            Tensor g = gpu.get(name).grad();
            double noise = 1e-5 * largest;
            if (rms(c.toFloatArray()) < noise) {
                if (!(rms(g.toFloatArray()) < noise)) {
                    failures.add("grad " + name + ": zero on the CPU (rms below " + noise + ") but rms "
                            + rms(g.toFloatArray()) + " on the GPU");
                }
            } else {
                compare(failures, "grad " + name, c, g);
            }
        }
    }

    private static double rms(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        return Math.sqrt(sq / Math.max(1, v.length));
    }

    @Test
    void forwardAndBackwardMatchTheCpu() {
        java.util.Random r = new java.util.Random(11);
        List<String> failures = new ArrayList<>();
        try (VNet cpuNet = net(Device.CPU, 5); VNet gpuNet = net(cuda, 5); MemoryScope scope = MemoryScope.open()) {
            copyState(cpuNet, gpuNet);
            Tensor x = image(new Rng(7), Device.CPU);
            Tensor y = Tensor.ofBytes(label(r), IMAGE[0], IMAGE[2], IMAGE[3], IMAGE[4]);
            VNet.Output oc = cpuNet.forward(Variable.constant(x));
            VNet.Output og = gpuNet.forward(Variable.constant(x.to(cuda)));
            for (int i = 0; i < oc.outputs().size(); i++) {
                compare(failures, "output " + i, oc.outputs().get(i).value(), og.outputs().get(i).value());
            }
            Variable lc = SegmentationLoss.supervised(oc.outputs(), y).total();
            Variable lg = SegmentationLoss.supervised(og.outputs(), y.to(cuda)).total();
            compare(failures, "loss", lc.value().item(), lg.value().item());
            lc.backward();
            lg.backward();
            largestSeen = 0;
            compareGradients(failures, cpuNet.namedParameters(), gpuNet.namedParameters());
            System.out.println("CudaNetworkTest: loss cpu " + lc.value().item() + ", " + cuda + " " + lg.value().item()
                    + "; largest gradient difference " + largestSeen + " of |cpu| + rms(cpu)");
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Loss terms and thresholds of every iteration, and the student's weights at the end. */
    private record Trace(List<double[]> steps, Map<String, float[]> weights) {
    }

    /**
     * ITERATIONS DuCiSC iterations past the warm-up on {@code device}, from weights made on the CPU (seeds
     * 21 and 23) and batches drawn on the host (seeds 41 and 43). Each row: supervised, pseudo-label,
     * mix, prototype and mix-prototype losses, then the 4 background and 4 foreground thresholds.
     */
    private static Trace train(Device device) {
        DuciscConfig cfg = DuciscConfig.defaults();
        List<double[]> steps = new ArrayList<>();
        Map<String, float[]> weights = new java.util.LinkedHashMap<>();
        try (VNet cs = net(Device.CPU, 21); VNet ct = net(Device.CPU, 23); VNet s = net(device, 21);
             VNet t = net(device, 23); Sgd sgd = new Sgd(s.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay())) {
            copyState(cs, s);
            copyState(ct, t);
            Thresholds thr = new Thresholds(4, cfg.thresholdInit());
            Rng rng = new Rng(41);
            java.util.Random r = new java.util.Random(43);
            for (int k = 0; k < ITERATIONS; k++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor lab = image(rng, Device.CPU);
                    Tensor unl = image(rng, Device.CPU);
                    Tensor y = Tensor.ofBytes(label(r), IMAGE[0], IMAGE[2], IMAGE[3], IMAGE[4]);
                    double[] w = {cfg.fusionLow() + r.nextDouble() * (cfg.fusionHigh() - cfg.fusionLow()),
                        cfg.fusionLow() + r.nextDouble() * (cfg.fusionHigh() - cfg.fusionLow())};
                    DuciscStep.Losses l = DuciscStep.run(s, t, sgd, thr,
                            new DuciscStep.Batch(lab.to(device), y.to(device), unl.to(device)), w, cfg.warmup() + k, cfg);
                    double[] row = new double[13];
                    row[0] = l.supervised();
                    row[1] = l.pseudoLabel();
                    row[2] = l.mix();
                    row[3] = l.prototype();
                    row[4] = l.mixPrototype();
                    for (int i = 0; i < 4; i++) {
                        row[5 + i] = thr.background(i);
                        row[9 + i] = thr.foreground(i);
                    }
                    steps.add(row);
                }
            }
            for (Map.Entry<String, Variable> e : s.namedParameters().entrySet()) {
                weights.put(e.getKey(), e.getValue().value().toFloatArray());
            }
        }
        return new Trace(steps, weights);
    }

    private static final String[] TERMS = {"supervised", "pseudo-label", "mix", "prototype", "mix prototype",
        "threshold bg 0", "threshold bg 1", "threshold bg 2", "threshold bg 3", "threshold fg 0", "threshold fg 1",
        "threshold fg 2", "threshold fg 3"};

    private static Trace cpuTrace;
    private static Trace deviceTrace;

    /** One run per backend, shared by the tests below (training is the slow part). */
    private static synchronized Trace cpuTrace() {
        if (cpuTrace == null) {
            cpuTrace = train(Device.CPU);
        }
        return cpuTrace;
    }

    private static synchronized Trace deviceTrace() {
        if (deviceTrace == null) {
            deviceTrace = train(cuda);
        }
        return deviceTrace;
    }

    /** Every bit of every loss, threshold and weight equal. */
    private static void assertBitwiseEqual(String what, Trace a, Trace b) {
        for (int k = 0; k < a.steps().size(); k++) {
            for (int j = 0; j < TERMS.length; j++) {
                long x = Double.doubleToRawLongBits(a.steps().get(k)[j]);
                long y = Double.doubleToRawLongBits(b.steps().get(k)[j]);
                assertTrue(x == y, what + ": iteration " + k + " " + TERMS[j] + ": " + a.steps().get(k)[j] + " then "
                        + b.steps().get(k)[j]);
            }
        }
        for (String name : a.weights().keySet()) {
            assertTrue(java.util.Arrays.equals(a.weights().get(name), b.weights().get(name)),
                    what + ": weights of " + name + " differ");
        }
    }

    @Test
    void cpuDuciscIterationsAreBitwiseReproducible() {
        assertBitwiseEqual("two CPU runs", cpuTrace(), train(Device.CPU));
    }

    @Test
    void deviceDuciscIterationsAreBitwiseReproducible() {
        assertBitwiseEqual("two runs on " + cuda, deviceTrace(), train(cuda));
    }

    @Test
    void duciscIterationsMatchTheCpu() {
        Trace c = cpuTrace();
        Trace g = deviceTrace();
        List<String> failures = new ArrayList<>();
        double[] worst = new double[TERMS.length];
        for (int k = 0; k < ITERATIONS; k++) {
            for (int j = 0; j < TERMS.length; j++) {
                double cv = c.steps().get(k)[j];
                double gv = g.steps().get(k)[j];
                double rel = Math.abs(gv - cv) / Math.max(Math.abs(cv), 1e-6);
                if (!(Double.isNaN(cv) && Double.isNaN(gv))) {
                    worst[j] = Math.max(worst[j], Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
                }
                double tolerance = k >= TIGHT_ITERATIONS ? DRIFT_RTOL[j] : j < 5 ? LOSS_RTOL : THRESHOLD_RTOL;
                compare(failures, "iteration " + k + " " + TERMS[j], cv, gv, tolerance);
            }
        }
        double worstWeight = 0;
        double largest = 0;
        for (float[] cw : c.weights().values()) {
            largest = Math.max(largest, rms(cw));
        }
        for (String name : c.weights().keySet()) {
            float[] cw = c.weights().get(name);
            float[] gw = g.weights().get(name);
            // Biases of convolutions before a training-mode batch norm get gradients of rounding noise only
            // (see compareGradients); such a tensor is compared on the scale of the network's weights.
            double rms = Math.max(rms(cw), 1e-2 * largest);
            for (int i = 0; i < cw.length; i++) {
                worstWeight = Math.max(worstWeight, Math.abs(gw[i] - cw[i]) / (Math.abs(cw[i]) + rms + 1e-30));
            }
        }
        StringBuilder measured = new StringBuilder("CudaNetworkTest: largest relative CPU-vs-" + cuda + " difference over "
                + ITERATIONS + " iterations:");
        for (int j = 0; j < TERMS.length; j++) {
            measured.append(' ').append(TERMS[j]).append(' ').append(String.format(java.util.Locale.ROOT, "%.2e", worst[j]))
                    .append(';');
        }
        measured.append(" weights ").append(String.format(java.util.Locale.ROOT, "%.2e", worstWeight));
        System.out.println(measured);
        if (!(worstWeight <= WEIGHT_RTOL)) {
            failures.add("weights after " + ITERATIONS + " iterations: largest difference " + worstWeight
                    + " of |cpu| + rms(cpu)");
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
