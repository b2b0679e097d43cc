package org.ducisc.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.tensor.Convolutions;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The V-Net convolutions (batch 2, NCDHW with D innermost as in the data), one benchmark per
 * (shape, direction). The same shapes are timed in PyTorch by bench/torch_conv.py; run
 * {@code java -cp target/benchmarks.jar org.ducisc.bench.ConvBench [shape ...]} for a GFLOP/s
 * summary, or bench/conv-compare.sh for both side by side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx8g"})
public class ConvBench {
    /** Every shape as name: cin, cout, spatial (W, H, D), kernel, stride, padding, transposed. */
    public enum Shape {
        c1_16(1, 16, 112, 112, 80, 3, 1, 1, false),
        c16_16(16, 16, 112, 112, 80, 3, 1, 1, false),
        c32_32(32, 32, 56, 56, 40, 3, 1, 1, false),
        c64_64(64, 64, 28, 28, 20, 3, 1, 1, false),
        c128_128(128, 128, 14, 14, 10, 3, 1, 1, false),
        c256_256(256, 256, 7, 7, 5, 3, 1, 1, false),
        down16_32(16, 32, 112, 112, 80, 2, 2, 0, false),
        down32_64(32, 64, 56, 56, 40, 2, 2, 0, false),
        up32_16(32, 16, 56, 56, 40, 2, 2, 0, true),
        head16_2(16, 2, 112, 112, 80, 1, 1, 0, false);

        final int cin;
        final int cout;
        final int[] in;
        final int k;
        final int s;
        final int p;
        final boolean transposed;

        Shape(int cin, int cout, int w, int h, int d, int k, int s, int p, boolean transposed) {
            this.cin = cin;
            this.cout = cout;
            this.in = new int[] {w, h, d};
            this.k = k;
            this.s = s;
            this.p = p;
            this.transposed = transposed;
        }

        /** The geometry of the convolution itself (for a transposed one, of the conv it is the data gradient of). */
        ConvGeometry geometry() {
            int[] kk = {k, k, k};
            int[] ss = {s, s, s};
            int[] pp = {p, p, p};
            if (!transposed) {
                return ConvGeometry.of(BATCH, cin, cout, in, kk, ss, pp);
            }
            int[] out = new int[3];
            for (int a = 0; a < 3; a++) {
                out[a] = (in[a] - 1) * s - 2 * p + k;
            }
            return ConvGeometry.of(BATCH, cout, cin, out, kk, ss, pp);
        }
    }

    /** Batch size: 2 as the training step (default); -Dbatch=1 for the sliding window's single windows. */
    static final int BATCH = Integer.getInteger("batch", 2);

    @Param({"c1_16", "c16_16", "c32_32", "c64_64", "c128_128", "down16_32", "down32_64", "up32_16", "head16_2"})
    public String shape;

    @Param({"forward", "backwardData", "backwardWeight"})
    public String direction;

    private Shape sh;
    private int[] stride;
    private int[] padding;
    private Tensor x;
    private Tensor w;
    private Tensor bias;
    private Tensor gy;
    private long[] xShape;
    private long[] wShape;

    @Setup(Level.Trial)
    public void setUp() {
        sh = Shape.valueOf(shape);
        stride = new int[] {sh.s, sh.s, sh.s};
        padding = new int[] {sh.p, sh.p, sh.p};
        Rng rng = new Rng(7);
        // For a transposed conv, x is its input: the output of the underlying conv.
        ConvGeometry g = sh.geometry();
        int[] xs = sh.transposed ? g.out() : g.in();
        int[] ys = sh.transposed ? g.in() : g.out();
        int xc = sh.transposed ? g.outChannels() : g.inChannels();
        int yc = sh.transposed ? g.inChannels() : g.outChannels();
        xShape = new long[] {BATCH, xc, xs[0], xs[1], xs[2]};
        wShape = new long[] {g.outChannels(), g.inChannels(), sh.k, sh.k, sh.k};
        x = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 1, xShape);
        w = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 0.1, wShape);
        bias = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 0.1, yc);
        gy = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 1, BATCH, yc, ys[0], ys[1], ys[2]);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
        bias.close();
        gy.close();
    }

    @Benchmark
    public float run() {
        try (Tensor r = compute()) {
            return r.numel();
        }
    }

    private Tensor compute() {
        switch (direction) {
            case "forward":
                return sh.transposed ? Convolutions.convTranspose3d(x, w, bias, stride, padding)
                        : Convolutions.conv3d(x, w, bias, stride, padding);
            case "backwardData":
                return sh.transposed ? Convolutions.conv3d(gy, w, null, stride, padding)
                        : Convolutions.conv3dBackwardData(gy, w, xShape, stride, padding);
            case "backwardWeight":
                return sh.transposed ? Convolutions.conv3dBackwardWeight(gy, x, wShape, stride, padding)
                        : Convolutions.conv3dBackwardWeight(x, gy, wShape, stride, padding);
            default:
                throw new IllegalArgumentException("ConvBench: unknown direction " + direction);
        }
    }

    /** Runs the benchmarks of the given shapes (all if none) and prints median times and GFLOP/s. */
    public static void main(String[] args) throws RunnerException {
        ChainedOptionsBuilder opt = new OptionsBuilder().include(ConvBench.class.getName() + ".run");
        if (args.length > 0) {
            opt.param("shape", args);
        }
        Collection<RunResult> results = new Runner(opt.build()).run();
        List<String> lines = new ArrayList<>();
        for (RunResult r : results) {
            String s = r.getParams().getParam("shape");
            String d = r.getParams().getParam("direction");
            double ms = r.getPrimaryResult().getStatistics().getPercentile(50);
            double gflops = Shape.valueOf(s).geometry().flops() / (ms * 1e6);
            lines.add(String.format(Locale.ROOT, "RESULT %s %s %.3f %.1f", s, d, ms, gflops));
        }
        System.out.println("RESULT shape direction median_ms GFLOP/s");
        lines.forEach(System.out::println);
    }
}
