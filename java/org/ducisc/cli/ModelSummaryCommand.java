package org.ducisc.cli;

import java.io.PrintWriter;
import java.util.Map;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.nn.Module;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the V-Net's parameter count per block and in total, for comparison with the reference. */
@Command(name = "model-summary", mixinStandardHelpOptions = true,
        description = "Print the parameter count of each V-Net block and the total.")
final class ModelSummaryCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = {"--base-filters", "--base_filters"}, defaultValue = "16", description = "Base filters (default ${DEFAULT-VALUE}).")
    int baseFilters;

    @Option(names = "--classes", defaultValue = "2", description = "Output classes (default ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--no-deep-supervision", description = "The plain V-Net: only the full-resolution head.")
    boolean plain;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        org.ducisc.train.SettingRanges.checkBaseFilters(baseFilters);
        if (classes < 2 || classes > 256) {
            throw new IllegalArgumentException("--classes must be in 2..256, got " + classes);
        }
        VNet.Config config = new VNet.Config(1, classes, baseFilters, true, !plain);
        try (VNet net = new VNet(config, Device.CPU, new Rng(0), new Rng(1))) {
            out.printf("%-16s %14s%n", "block", "parameters");
            for (Map.Entry<String, Module> e : net.children().entrySet()) {
                long n = 0;
                for (Variable v : e.getValue().namedParameters().values()) {
                    n += v.value().numel();
                }
                out.printf("%-16s %,14d%n", e.getKey(), n);
            }
            out.printf("%-16s %,14d%n", "total", net.parameterCount());
        }
        out.flush();
    }
}
