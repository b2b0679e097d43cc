package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.ducisc.backend.ConvGeometry;

/**
 * The fused conv + ReLU of inference, direct kernel ({@link CpuConv}) against Winograd
 * ({@link CpuWinograd}), side by side in one process: per V-Net 3x3x3 shape, the two alternate
 * {@code -Druns=5} times after two warm-up calls each; medians of wall and process CPU time, and
 * GFLOP/s counted as the direct convolution's 2*N*Cout*Cin*27*voxels for both. Also the Winograd
 * weight transform alone (part of every Winograd call). Batch {@code -Dbatch=1} (one window).
 * {@code java --add-modules jdk.incubator.vector -cp target/benchmarks.jar org.ducisc.backend.cpu.WinogradQuick c16_16 ...}
 */
public final class WinogradQuick {
    private WinogradQuick() {
    }

    /** cin, cout, spatial size of the V-Net's 3x3x3 convolutions at patch 112x112x80 (as in ConvBench). */
    private static int[] shape(String name) {
        return switch (name) {
            case "c1_16" -> new int[] {1, 16, 112, 112, 80};
            case "c16_16" -> new int[] {16, 16, 112, 112, 80};
            case "c32_32" -> new int[] {32, 32, 56, 56, 40};
            case "c64_64" -> new int[] {64, 64, 28, 28, 20};
            case "c128_128" -> new int[] {128, 128, 14, 14, 10};
            case "c256_256" -> new int[] {256, 256, 7, 7, 5};
            default -> throw new IllegalArgumentException("WinogradQuick: unknown shape " + name
                    + " (c1_16 c16_16 c32_32 c64_64 c128_128 c256_256)");
        };
    }

    public static void main(String[] args) {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int runs = Integer.getInteger("runs", 5);
        int batch = Integer.getInteger("batch", 1);
        System.out.println("threads " + Parallel.THREADS + ", lanes " + Vectors.LANES + ", batch " + batch);
        System.out.println("shape kernel wall_ms cpu_ms wall_GFLOP/s cpu_GFLOP/s | winograd/direct wall cpu"
                + " | weight transform ms");
        String[] names = args.length > 0 ? args
                : new String[] {"c1_16", "c16_16", "c32_32", "c64_64", "c128_128", "c256_256"};
        for (String name : names) {
            int[] s = shape(name);
            ConvGeometry g = ConvGeometry.of(batch, s[0], s[1], new int[] {s[2], s[3], s[4]}, new int[] {3, 3, 3},
                    new int[] {1, 1, 1}, new int[] {1, 1, 1});
            try (Arena arena = Arena.ofShared()) {
                Random r = new Random(7);
                MemorySegment x = random(arena, r, g.batch() * g.inChannels() * g.inVolume(), 1);
                MemorySegment w = random(arena, r, g.outChannels() * g.inChannels() * 27L, 0.1);
                MemorySegment b = random(arena, r, g.outChannels(), 0.1);
                MemorySegment y = arena.allocate(g.batch() * g.outChannels() * g.outVolume() * 4, 64);
                Runnable direct = () -> CpuConv.forward(x, 0, w, 0, b, 0, y, 0, g, true);
                Runnable winograd = () -> CpuWinograd.forward(x, 0, w, 0, b, 0, y, 0, g, true);
                Runnable weights = () -> CpuWinograd.transformWeights(w, 0, g.inChannels(), g.outChannels(),
                        CpuConvGemm.blocks(g.outChannels()));
                for (int i = 0; i < 2; i++) {
                    direct.run();
                    winograd.run();
                    weights.run();
                }
                double[][] d = new double[2][runs];
                double[][] wg = new double[2][runs];
                double[] wt = new double[runs];
                for (int i = 0; i < runs; i++) {
                    time(os, direct, d, i);
                    time(os, winograd, wg, i);
                    long t0 = System.nanoTime();
                    weights.run();
                    wt[i] = (System.nanoTime() - t0) / 1e6;
                }
                double flops = g.flops();
                double dw = median(d[0]);
                double dc = median(d[1]);
                double ww = median(wg[0]);
                double wc = median(wg[1]);
                System.out.println(String.format(Locale.ROOT, "%s direct %.1f %.1f %.1f %.1f", name, dw, dc,
                        flops / (dw * 1e6), flops / (dc * 1e6)));
                System.out.println(String.format(Locale.ROOT, "%s winograd %.1f %.1f %.1f %.1f | %.2f %.2f | %.2f",
                        name, ww, wc, flops / (ww * 1e6), flops / (wc * 1e6), ww / dw, wc / dc, median(wt)));
            }
        }
    }

    private static MemorySegment random(Arena arena, Random r, long n, double std) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) (r.nextGaussian() * std));
        }
        return s;
    }

    private static void time(com.sun.management.OperatingSystemMXBean os, Runnable op, double[][] into, int i) {
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        op.run();
        into[0][i] = (System.nanoTime() - t0) / 1e6;
        into[1][i] = (os.getProcessCpuTime() - c0) / 1e6;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
