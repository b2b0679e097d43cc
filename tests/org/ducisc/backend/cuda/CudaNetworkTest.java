package org.ducisc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The 16-filter V-Net and DuCiSC training on cuda:0 against the CPU from the same weights and
 * batches: one forward + backward (every output and parameter gradient), then 20 DuCiSC iterations
 * past the warm-up (every loss term and threshold of every iteration; see below). Composition
 * amplifies the ops' float32 differences (training-mode batch norms over few values, the dice
 * ratios, the EMA), so these use 1e-3 of |cpu| + rms(cpu) where the single ops use 1e-4. Skipped
 * where no CUDA device works.
 */
class CudaNetworkTest {
    private static final double RTOL = 1e-3;
    /*
     * Two CPU runs of these 20 iterations (the harness with -Dducisc.test.cudaStandIn=cpu, 2026-11-28)
     * agree within 1e-3 in every term for the first 3 iterations, then drift apart: the CPU engine's
     * DuCiSC step is not bitwise reproducible from run to run (reported to the lead), and the argmax
     * pseudo labels and masks amplify any difference. Measured run-to-run spread over 20 iterations:
     * supervised 1.5%, pseudo-label 0.85%, mix 0.3%, prototype 12.8%, mix prototype 8.9%, thresholds
     * below 1e-3, weights after 20 iterations up to tens of percent per entry (not compared). The GPU
     * must stay within about three times that spread.
     */
    private static final int EXACT_ITERATIONS = 3;
    private static final double LOSS_SPREAD = 0.05;
    private static final double PROTOTYPE_SPREAD = 0.4;
    private static final long[] IMAGE = {2, 1, 32, 32, 32};
    /** cuda:0, or the CPU with -Dducisc.test.cudaStandIn=cpu, which checks this harness (results then agree exactly). */
    private static Device cuda = Device.cuda(0);
    private static String unavailable;

    @BeforeAll
    static void openDevice() {
        if ("cpu".equals(System.getProperty("ducisc.test.cudaStandIn"))) {
            cuda = Device.CPU;
            return;
        }
        try {
            CudaBackend.forDevice(0);
        } catch (CudaUnavailableException e) {
            unavailable = e.getMessage();
        }
    }

    @BeforeEach
    void requireDevice() {
        assumeTrue(unavailable == null, "no usable CUDA device: " + unavailable);
    }

    /** The same seed gives both sides the same dropout masks (drawn on the host); the weights are copied too. */
    private static VNet net(Device device, long seed) {
        return new VNet(VNet.Config.defaults().withBaseFilters(16), device, new Rng(seed), new Rng(seed + 1));
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
            compareGradients(failures, cpuNet.namedParameters(), gpuNet.namedParameters());
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void twentyDuciscIterationsMatchTheCpu() {
        DuciscConfig cfg = DuciscConfig.defaults();
        List<String> failures = new ArrayList<>();
        try (VNet cs = net(Device.CPU, 21); VNet ct = net(Device.CPU, 23); VNet gs = net(cuda, 21); VNet gt = net(cuda, 23);
             Sgd cpuSgd = new Sgd(cs.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay());
             Sgd gpuSgd = new Sgd(gs.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay())) {
            copyState(cs, gs);
            copyState(ct, gt);
            Thresholds cpuThr = new Thresholds(4, cfg.thresholdInit());
            Thresholds gpuThr = new Thresholds(4, cfg.thresholdInit());
            Rng rng = new Rng(41);
            java.util.Random r = new java.util.Random(43);
            for (int k = 0; k < 20; k++) {
                long iteration = cfg.warmup() + k;
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor lab = image(rng, Device.CPU);
                    Tensor unl = image(rng, Device.CPU);
                    Tensor y = Tensor.ofBytes(label(r), IMAGE[0], IMAGE[2], IMAGE[3], IMAGE[4]);
                    double[] w = {cfg.fusionLow() + r.nextDouble() * (cfg.fusionHigh() - cfg.fusionLow()),
                        cfg.fusionLow() + r.nextDouble() * (cfg.fusionHigh() - cfg.fusionLow())};
                    DuciscStep.Losses c = DuciscStep.run(cs, ct, cpuSgd, cpuThr, new DuciscStep.Batch(lab, y, unl), w,
                            iteration, cfg);
                    DuciscStep.Losses g = DuciscStep.run(gs, gt, gpuSgd, gpuThr,
                            new DuciscStep.Batch(lab.to(cuda), y.to(cuda), unl.to(cuda)), w, iteration, cfg);
                    String at = "iteration " + k + " ";
                    boolean early = k < EXACT_ITERATIONS;
                    compare(failures, at + "supervised", c.supervised(), g.supervised(), early ? RTOL : LOSS_SPREAD);
                    compare(failures, at + "pseudo-label", c.pseudoLabel(), g.pseudoLabel(), early ? RTOL : LOSS_SPREAD);
                    compare(failures, at + "mix", c.mix(), g.mix(), early ? RTOL : LOSS_SPREAD);
                    compare(failures, at + "prototype", c.prototype(), g.prototype(), early ? RTOL : PROTOTYPE_SPREAD);
                    compare(failures, at + "mix prototype", c.mixPrototype(), g.mixPrototype(),
                            early ? RTOL : PROTOTYPE_SPREAD);
                    for (int i = 0; i < 4; i++) {
                        compare(failures, at + "threshold bg " + i, cpuThr.background(i), gpuThr.background(i));
                        compare(failures, at + "threshold fg " + i, cpuThr.foreground(i), gpuThr.foreground(i));
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
