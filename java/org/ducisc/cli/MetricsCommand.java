package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.ducisc.core.Sizes;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.SegmentationMetrics;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ducisc metrics}: the four metrics of one prediction against its ground truth. */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = {"Prints one JSON object {\"dice\", \"jaccard\", \"hd95\", \"asd\", \"undefined\", \"metric_rules\"} (medpy's definitions) for a"
            + " predicted mask against the ground truth; any non-zero voxel is foreground.",
            "Files: .nii / .nii.gz / NRRD (integer values 0..255) or .h5 (its 'label'). Distances in units of --spacing"
                + " (default 1,1,1, as the reference evaluates).",
            "With --metric-rules reference (the default) an empty prediction scores 0 on all four; a non-empty"
                + " prediction against an empty ground truth has dice 0, jaccard 0 and hd95 = asd = null (no surface"
                + " distance exists). With monai, dice and jaccard are null when the ground truth is empty and hd95"
                + " and asd when either mask is. Either way \"undefined\" is true when a mask is empty."})
final class MetricsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pred", required = true, description = "Predicted mask.")
    Path pred;

    @Option(names = "--gt", required = true, description = "Ground-truth mask.")
    Path gt;

    @Option(names = "--spacing", description = "Voxel size X,Y,Z, each in 1e-6..1e6 (default 1,1,1).")
    String spacing;

    @Option(names = "--metric-rules", defaultValue = "reference", paramLabel = "RULES",
            description = "reference or monai: the metrics of an empty prediction or ground truth (default ${DEFAULT-VALUE}).")
    String metricRules;

    @Override
    public Integer call() throws IOException {
        MetricRules rules = MetricRules.parse(metricRules);
        double[] sp = spacing == null ? null : parseSpacing(spacing);
        Volume p = readMask(pred);
        Volume t = readMask(gt);
        if (!Arrays.equals(p.shape(), t.shape())) {
            throw new IllegalArgumentException("--pred " + pred + " has shape " + Sizes.of(p.shape())
                    + " but --gt " + gt + " has shape " + Sizes.of(t.shape()));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(Evaluation.toJson(rules.evaluate(p.labels(), t.labels(), p.shape(), sp), rules));
        out.flush();
        return 0;
    }

    private static Volume readMask(Path file) throws IOException {
        return VolumeFormat.readLabels(file);
    }

    private static double[] parseSpacing(String text) {
        String[] parts = text.split(",");
        if (parts.length != 3) {
            throw new IllegalArgumentException("--spacing must be X,Y,Z (three sizes), got '" + text + "'");
        }
        double[] s = new double[3];
        for (int i = 0; i < 3; i++) {
            try {
                s[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--spacing must be X,Y,Z (three numbers), got '" + text + "'");
            }
            if (!(s[i] >= SegmentationMetrics.MIN_SPACING && s[i] <= SegmentationMetrics.MAX_SPACING)) {
                throw new IllegalArgumentException("--spacing values must be in " + SegmentationMetrics.MIN_SPACING + ".."
                        + SegmentationMetrics.MAX_SPACING + ", got '" + text + "'");
            }
        }
        return s;
    }
}
