package org.ducisc.eval;

/**
 * The four per-case segmentation metrics, with medpy's definitions (see {@link SegmentationMetrics}).
 *
 * @param dice    2|A∩B| / (|A| + |B|)
 * @param jaccard |A∩B| / |A∪B|
 * @param hd95    95th percentile of both directed surface-distance sets together, in spacing units
 * @param asd     mean prediction-to-truth surface distance, in spacing units
 * @param undefined true when the prediction or the ground truth is empty: then HD95 and ASD (and,
 *                  for an empty ground truth, Dice and Jaccard) have no value by their definitions,
 *                  and the numbers are the ones {@link MetricRules} assigns to such cases
 */
public record CaseMetrics(double dice, double jaccard, double hd95, double asd, boolean undefined) {
    /** What the reference reports for an empty prediction (a case marked undefined). */
    public static final CaseMetrics ZERO = new CaseMetrics(0, 0, 0, 0, true);

    /** Metrics of a case where both masks are non-empty (every metric defined). */
    public CaseMetrics(double dice, double jaccard, double hd95, double asd) {
        this(dice, jaccard, hd95, asd, false);
    }

    /** Number of metrics; {@link #get} indexes them in component order. */
    static final int COUNT = 4;

    double get(int metric) {
        return switch (metric) {
            case 0 -> dice;
            case 1 -> jaccard;
            case 2 -> hd95;
            case 3 -> asd;
            default -> throw new IllegalArgumentException("CaseMetrics: no metric " + metric);
        };
    }
}
