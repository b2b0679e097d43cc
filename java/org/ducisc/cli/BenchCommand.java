package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;
import org.ducisc.core.Device;
import org.ducisc.runtime.OpProfile;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.train.BenchWorkloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Benchmarks a user can run on their own machine. Each prints only this engine's numbers; the
 * PyTorch scripts in bench/ time the same work (bench/README.md).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure this machine.",
        subcommands = {BenchCommand.VNetBench.class, BenchCommand.StepBench.class, BenchCommand.PredictBench.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every workload shares: repetitions and the per-op profile. */
    static final class Timing {
        @Option(names = "--runs", defaultValue = "5", description = "Timed runs after the warm-up (default ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up runs (default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--profile", description = "Also print the time per op kind over the timed runs "
                + "(conv per direction and shape, batch norm, softmax, ...), summing to the measured total.")
        boolean profile;

        /** Runs the workload, prints each run, the summary line and, last, the median in seconds. */
        void measure(PrintWriter out, Supplier<BenchWorkloads.Workload> build) {
            if (runs < 1 || warmup < 0) {
                throw new IllegalArgumentException("--runs must be >= 1 and --warmup >= 0");
            }
            OpProfile profiler = profile ? OpProfile.start() : null;
            try (BenchWorkloads.Workload work = build.get()) {
                out.printf("%s, %d threads%n", work.describe(), Runtime.getRuntime().availableProcessors());
                out.flush();
                double[] seconds = new double[runs];
                double[] cpuSeconds = new double[runs];
                for (int r = -warmup; r < runs; r++) {
                    if (r == 0 && profiler != null) {
                        profiler.reset();
                    }
                    long c0 = processCpuNanos();
                    long t0 = System.nanoTime();
                    work.run();
                    double s = (System.nanoTime() - t0) / 1e9;
                    double cpu = (processCpuNanos() - c0) / 1e9;
                    if (r >= 0) {
                        seconds[r] = s;
                        cpuSeconds[r] = cpu;
                    }
                    out.printf("%s %d: %.3f s (cpu %.3f s)%n", r < 0 ? "warm-up" : "run", r < 0 ? r + warmup + 1 : r + 1,
                            s, cpu);
                    out.flush();
                }
                double total = Arrays.stream(seconds).sum();
                double median = median(seconds);
                if (profiler != null) {
                    out.printf("%nprofile: mean over the %d timed runs (%.3f s each); time per op kind, wall clock%n",
                            runs, total / runs);
                    out.print(profiler.table(total, runs));
                    out.println();
                }
                out.printf("median %.3f s, min %.3f s, max %.3f s, median cpu %.3f s, peak RSS %s%n", median,
                        seconds[0], seconds[runs - 1], median(cpuSeconds), peakRss());
                out.printf("%.3f%n", median);
            } finally {
                if (profiler != null) {
                    profiler.stop();
                }
            }
            out.flush();
        }
    }

    /** The network every workload builds: its patch and base filters, checked as training checks them. */
    static final class Network {
        @Option(names = "--patch", defaultValue = "112,112,80", description = "Patch size W,H,D (default ${DEFAULT-VALUE}).")
        String patch;

        @Option(names = {"--base-filters", "--base_filters"}, defaultValue = "16", description = "Base filters (default ${DEFAULT-VALUE}).")
        int baseFilters;

        /** The parsed patch, checked with the base filters for {@code batch} volumes per pass. */
        int[] checkedPatch(int batch) {
            int[] size = Options.parseSize("--patch", patch);
            org.ducisc.train.SettingRanges.checkBaseFilters(baseFilters);
            org.ducisc.train.SettingRanges.checkPatch(size, baseFilters, batch);
            return size;
        }
    }

    @Command(name = "vnet", mixinStandardHelpOptions = true,
            description = "Time one training-mode forward+backward (supervised loss) of the V-Net; the last line is the median in seconds.")
    static final class VNetBench implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        Timing timing;

        @Mixin
        Network network;

        @Option(names = "--batch", defaultValue = "2", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public void run() {
            if (batch < 1) {
                throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
            }
            int[] size = network.checkedPatch(batch);
            timing.measure(spec.commandLine().getOut(),
                    () -> BenchWorkloads.vnet(size, batch, network.baseFilters, Device.CPU));
        }
    }

    @Command(name = "step", mixinStandardHelpOptions = true,
            description = "Time one full DuCiSC training iteration (three student passes, the teacher pass, losses, "
                    + "backward, SGD, thresholds, EMA); the last line is the median in seconds. "
                    + "PyTorch's side: bench/torch_step.py.")
    static final class StepBench implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        Timing timing;

        @Mixin
        Network network;

        @Option(names = "--labeled-batch", defaultValue = "2", description = "Labeled volumes per batch (default ${DEFAULT-VALUE}).")
        int labeled;

        @Option(names = "--unlabeled-batch", defaultValue = "2", description = "Unlabeled volumes per batch (default ${DEFAULT-VALUE}).")
        int unlabeled;

        @Override
        public void run() {
            if (labeled < 1 || unlabeled < 1) {
                throw new IllegalArgumentException("--labeled-batch and --unlabeled-batch must be >= 1");
            }
            int[] size = network.checkedPatch(labeled + unlabeled);
            timing.measure(spec.commandLine().getOut(),
                    () -> BenchWorkloads.step(size, labeled, unlabeled, network.baseFilters, Device.CPU));
        }
    }

    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = "Time the sliding-window prediction of one volume (untrained V-Net, eval mode); the last "
                    + "line is the median in seconds. PyTorch's side: bench/torch_sliding_window.py.")
    static final class PredictBench implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        Timing timing;

        @Mixin
        Network network;

        @Option(names = "--size", defaultValue = "150,150,88", description = "Volume size W,H,D (default ${DEFAULT-VALUE}).")
        String volume;

        @Option(names = "--stride-xy", defaultValue = "18", description = "Window stride along W and H (default ${DEFAULT-VALUE}).")
        int strideXY;

        @Option(names = "--stride-z", defaultValue = "4", description = "Window stride along D (default ${DEFAULT-VALUE}).")
        int strideZ;

        @Option(names = "--window-batch", defaultValue = "" + SlidingWindow.DEFAULT_WINDOW_BATCH,
                description = "Windows per forward pass (default ${DEFAULT-VALUE}).")
        int windowBatch;

        @Override
        public void run() {
            int[] size = Options.parseSize("--size", volume);
            if (strideXY < 1 || strideZ < 1 || windowBatch < 1) {
                throw new IllegalArgumentException("--stride-xy, --stride-z and --window-batch must be >= 1");
            }
            int[] p = network.checkedPatch(windowBatch);
            timing.measure(spec.commandLine().getOut(), () -> BenchWorkloads.predict(size, p, strideXY, strideZ,
                    windowBatch, network.baseFilters, Device.CPU));
        }
    }

    /** Sorts {@code v} and returns its median. */
    private static double median(double[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * CPU time of the whole process (all threads, JIT and GC included), the steadier figure on a
     * machine shared with other work; -1 if the JVM does not report it.
     */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The process's peak resident memory (VmHWM), or "n/a" off Linux. */
    static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D+", ""));
                    return String.format("%.2f GB", kb / 1e6);
                }
            }
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
        return "n/a";
    }
}
