package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.data.SeedStreams;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Benchmarks a user can run on their own machine. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure this machine.",
        subcommands = {BenchCommand.VNetBench.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "vnet", mixinStandardHelpOptions = true,
            description = "Time one training-mode forward+backward (supervised loss) of the V-Net; the last line is the median in seconds.")
    static final class VNetBench implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--patch", defaultValue = "112,112,80", description = "Patch size W,H,D (default ${DEFAULT-VALUE}).")
        String patch;

        @Option(names = "--batch", defaultValue = "2", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = {"--base-filters", "--base_filters"}, defaultValue = "16", description = "Base filters (default ${DEFAULT-VALUE}).")
        int baseFilters;

        @Option(names = "--runs", defaultValue = "5", description = "Timed runs after one warm-up (default ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up runs (default ${DEFAULT-VALUE}).")
        int warmup;

        @Override
        public void run() {
            int[] size = Options.parseSize("--patch", patch);
            if (batch < 1 || runs < 1 || warmup < 0) {
                throw new IllegalArgumentException("--batch and --runs must be >= 1 and --warmup >= 0");
            }
            org.ducisc.train.SettingRanges.checkBaseFilters(baseFilters);
            org.ducisc.train.SettingRanges.checkPatch(size, baseFilters, batch);
            PrintWriter out = spec.commandLine().getOut();
            VNet.Config config = VNet.Config.defaults().withBaseFilters(baseFilters);
            Rng rng = new Rng(1337);
            long[] inputShape = {batch, 1, size[0], size[1], size[2]};
            try (VNet net = new VNet(config, Device.CPU, rng, SeedStreams.of(1337, SeedStreams.DROPOUT, SeedStreams.STUDENT));
                 Tensor input = Tensor.normal(Device.CPU, rng, 0, 1, inputShape);
                 Tensor label = randomLabel(rng, batch, size)) {
                net.checkInput(inputShape);
                out.printf("vnet: patch %dx%dx%d, batch %d, base filters %d, %,d parameters, %d threads%n", size[0],
                        size[1], size[2], batch, baseFilters, net.parameterCount(), Runtime.getRuntime().availableProcessors());
                out.flush();
                double[] seconds = new double[runs];
                for (int r = -warmup; r < runs; r++) {
                    long t0 = System.nanoTime();
                    step(net, input, label);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (r >= 0) {
                        seconds[r] = s;
                    }
                    out.printf("%s %d: %.3f s%n", r < 0 ? "warm-up" : "run", r < 0 ? r + warmup + 1 : r + 1, s);
                    out.flush();
                }
                Arrays.sort(seconds);
                double median = runs % 2 == 1 ? seconds[runs / 2] : (seconds[runs / 2 - 1] + seconds[runs / 2]) / 2;
                out.printf("median %.3f s, min %.3f s, max %.3f s, peak RSS %s%n", median, seconds[0],
                        seconds[runs - 1], peakRss());
                out.printf("%.3f%n", median);
            }
            out.flush();
        }

        private static void step(VNet net, Tensor input, Tensor label) {
            try (MemoryScope step = MemoryScope.open()) {
                VNet.Output o = net.forward(Variable.constant(input));
                SegmentationLoss.supervised(o.outputs(), label).total().backward();
            }
            for (Variable p : net.parameters()) {
                p.zeroGrad();
            }
        }

        private static Tensor randomLabel(Rng rng, int batch, int[] size) {
            byte[] v = new byte[batch * size[0] * size[1] * size[2]];
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) (rng.nextFloat() < 0.3f ? 1 : 0);
            }
            return Tensor.ofBytes(v, batch, size[0], size[1], size[2]);
        }

        /** The process's peak resident memory (VmHWM), or "n/a" off Linux. */
        private static String peakRss() {
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
}
