package org.ducisc.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * A quick look without JMH, for a machine shared with other work: per (shape, direction) the median
 * wall time and the median process CPU time of a few runs, and GFLOP/s for both. CPU-time GFLOP/s
 * divided by the thread count estimates the speed on an idle machine.
 * {@code java --add-modules jdk.incubator.vector -cp target/benchmarks.jar org.ducisc.bench.ConvQuick c32_32 ...}
 * (-Druns=N timed runs, default 5; -Ddirections=forward,...; -Dbatch=1 for batch 1, default 2).
 */
public final class ConvQuick {
    private ConvQuick() {
    }

    public static void main(String[] args) {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int runs = Integer.getInteger("runs", 5);
        String[] dirs = System.getProperty("directions", "forward,backwardData,backwardWeight").split(",");
        System.out.println("shape direction wall_ms cpu_ms wall_GFLOP/s cpu_GFLOP/s");
        for (String shape : args) {
            for (String dir : dirs) {
                ConvBench b = new ConvBench();
                b.shape = shape;
                b.direction = dir;
                b.setUp();
                double[] wall = new double[runs];
                double[] cpu = new double[runs];
                for (int i = 0; i < 2; i++) {
                    b.run();
                }
                for (int i = 0; i < runs; i++) {
                    long c0 = os.getProcessCpuTime();
                    long t0 = System.nanoTime();
                    b.run();
                    wall[i] = (System.nanoTime() - t0) / 1e6;
                    cpu[i] = (os.getProcessCpuTime() - c0) / 1e6;
                }
                b.tearDown();
                Arrays.sort(wall);
                Arrays.sort(cpu);
                double flops = ConvBench.Shape.valueOf(shape).geometry().flops();
                double w = wall[runs / 2];
                double c = cpu[runs / 2];
                System.out.println(String.format(Locale.ROOT, "%s %s %.1f %.1f %.1f %.1f", shape, dir, w, c,
                        flops / (w * 1e6), flops / (c * 1e6)));
            }
        }
    }
}
