package org.ducisc.eval;

import java.util.List;

/**
 * Mean and standard deviation of each metric over cases, as the reference reports them with
 * {@code numpy.mean} and {@code numpy.std}: the standard deviation is the population one (divides by n,
 * numpy's default ddof=0). Under {@link MetricRules#REFERENCE} a NaN in any case (see
 * {@link SegmentationMetrics} for when one appears) makes that metric's mean and standard deviation NaN,
 * as in numpy; under {@link MetricRules#MONAI} NaN cases are left out of that metric's mean
 * ({@code numpy.nanmean}, {@code numpy.nanstd}) and {@link #counted} says how many cases remain.
 *
 * @param mean      per-metric means
 * @param std       per-metric population standard deviations
 * @param cases     number of cases summarised
 * @param undefined number of those cases marked {@link CaseMetrics#undefined()} (an empty prediction or truth)
 * @param counted   per metric (in {@link CaseMetrics} order: dice, jaccard, hd95, asd), the number of cases its
 *                  mean is over
 */
public record MetricSummary(CaseMetrics mean, CaseMetrics std, int cases, int undefined, List<Integer> counted) {
    public MetricSummary {
        counted = List.copyOf(counted);
    }

    /** The number of cases in the mean of metric {@code metric} (0 dice, 1 jaccard, 2 hd95, 3 asd). */
    public int counted(int metric) {
        return counted.get(metric);
    }

    /** True when some metric's mean leaves cases out (MONAI's rule with NaN cases). */
    public boolean excludesCases() {
        for (int c : counted) {
            if (c != cases) {
                return true;
            }
        }
        return false;
    }

    /** The reference's summary: every case in every mean ({@link MetricRules#REFERENCE}). */
    public static MetricSummary of(List<CaseMetrics> perCase) {
        return of(perCase, false);
    }

    /** The summary over {@code perCase}; with {@code skipNaN} each mean is over the cases where the metric is not NaN. */
    static MetricSummary of(List<CaseMetrics> perCase, boolean skipNaN) {
        if (perCase == null || perCase.isEmpty()) {
            throw new IllegalArgumentException("MetricSummary: no cases to summarise");
        }
        double[] mean = new double[CaseMetrics.COUNT];
        double[] std = new double[CaseMetrics.COUNT];
        int[] counted = new int[CaseMetrics.COUNT];
        for (int m = 0; m < CaseMetrics.COUNT; m++) {
            double sum = 0;
            int n = 0;
            for (CaseMetrics c : perCase) {
                if (!(skipNaN && Double.isNaN(c.get(m)))) {
                    sum += c.get(m);
                    n++;
                }
            }
            double mu = n == 0 ? Double.NaN : sum / n;
            // Two passes, as numpy does, rather than E[x^2] - mu^2, which cancels badly when std << mean.
            double squares = 0;
            for (CaseMetrics c : perCase) {
                if (!(skipNaN && Double.isNaN(c.get(m)))) {
                    double dev = c.get(m) - mu;
                    squares += dev * dev;
                }
            }
            mean[m] = mu;
            std[m] = n == 0 ? Double.NaN : Math.sqrt(squares / n);
            counted[m] = n;
        }
        int undefined = (int) perCase.stream().filter(CaseMetrics::undefined).count();
        return new MetricSummary(new CaseMetrics(mean[0], mean[1], mean[2], mean[3]),
                new CaseMetrics(std[0], std[1], std[2], std[3]), perCase.size(), undefined,
                java.util.Arrays.stream(counted).boxed().toList());
    }
}
