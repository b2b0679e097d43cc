package org.ducisc.eval;

import java.util.List;
import java.util.Locale;

/**
 * The rules for cases where a metric has no value by its definition (an empty prediction or an
 * empty ground truth), and how such cases enter a mean over cases. One rule-set is used by every
 * report of a run or a command: the {@code metrics} and {@code test} commands, validation during
 * training, the final test report and the table over seeds.
 *
 * <p>Either way a case with an empty mask is marked {@link CaseMetrics#undefined()} and the summaries
 * count such cases ({@link MetricSummary#undefined()}), so a mean that rewards predicting nothing is
 * visible as such.
 */
public enum MetricRules {
    /**
     * The reference's (DuCiSC's {@code calculate_metric_percase}, on medpy): an empty prediction scores
     * 0 on all four metrics, also when the ground truth is empty (so HD95 = ASD = 0, the best value);
     * a non-empty prediction against an empty ground truth, where medpy raises, gives Dice 0, Jaccard 0
     * and HD95 = ASD = NaN. The mean is over every case ({@code numpy.mean}: a NaN makes it NaN). Use
     * it to compare with tables published from the reference's code.
     */
    REFERENCE,
    /**
     * MONAI's ({@code DiceMetric}, {@code MeanIoU} with {@code ignore_empty=True}; the surface-distance
     * metrics have no value without both surfaces): Dice and Jaccard are NaN when the ground truth is
     * empty (0 when only the prediction is), HD95 and ASD are NaN when either mask is empty, and a
     * mean leaves the NaN cases out ({@code do_metric_reduction}'s "mean", with the count of cases in
     * each mean, {@link MetricSummary#counted}).
     */
    MONAI;

    /** Parses "reference" or "monai" (case-insensitive); throws IllegalArgumentException otherwise. */
    public static MetricRules parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "reference" -> REFERENCE;
            case "monai" -> MONAI;
            default -> throw new IllegalArgumentException("unknown metric rules '" + name
                    + "' (expected reference or monai)");
        };
    }

    /** The name {@link #parse} reads: "reference" or "monai". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Dice, Jaccard, HD95 and ASD of one case under these rules; masks and spacing as in
     * {@link SegmentationMetrics#evaluate(byte[], byte[], int[], double[])}, whose exceptions it throws.
     */
    public CaseMetrics evaluate(byte[] prediction, byte[] truth, int[] shape, double[] spacing) {
        CaseMetrics m = SegmentationMetrics.evaluate(prediction, truth, shape, spacing);
        return apply(m, !MaskChecks.anyForeground(truth));
    }

    /**
     * {@code m} (computed by the reference's rule) under these rules; {@code truthEmpty} tells the two
     * kinds of undefined case apart.
     */
    CaseMetrics apply(CaseMetrics m, boolean truthEmpty) {
        if (this == REFERENCE || !m.undefined()) {
            return m;
        }
        double overlap = truthEmpty ? Double.NaN : 0;
        return new CaseMetrics(overlap, overlap, Double.NaN, Double.NaN, true);
    }

    /**
     * Mean and population standard deviation of each metric over {@code perCase}: over every case
     * (REFERENCE), or over the cases where the metric is not NaN (MONAI; NaN when there is none).
     */
    public MetricSummary summarize(List<CaseMetrics> perCase) {
        return MetricSummary.of(perCase, this == MONAI);
    }
}
