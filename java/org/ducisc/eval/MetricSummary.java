package org.ducisc.eval;

import java.util.List;

/**
 * Mean and standard deviation of each metric over cases, as the reference reports them with
 * {@code numpy.mean} and {@code numpy.std}: the standard deviation is the population one (divides by n,
 * numpy's default ddof=0). A NaN in any case (see {@link SegmentationMetrics} for when one appears) makes
 * that metric's mean and standard deviation NaN, as in numpy.
 *
 * @param mean  per-metric means
 * @param std   per-metric population standard deviations
 * @param cases number of cases summarised
 */
public record MetricSummary(CaseMetrics mean, CaseMetrics std, int cases) {
    public static MetricSummary of(List<CaseMetrics> perCase) {
        if (perCase == null || perCase.isEmpty()) {
            throw new IllegalArgumentException("MetricSummary: no cases to summarise");
        }
        int n = perCase.size();
        double[] mean = new double[CaseMetrics.COUNT];
        double[] std = new double[CaseMetrics.COUNT];
        for (int m = 0; m < CaseMetrics.COUNT; m++) {
            double sum = 0;
            for (CaseMetrics c : perCase) {
                sum += c.get(m);
            }
            double mu = sum / n;
            // Two passes, as numpy does, rather than E[x^2] - mu^2, which cancels badly when std << mean.
            double squares = 0;
            for (CaseMetrics c : perCase) {
                double dev = c.get(m) - mu;
                squares += dev * dev;
            }
            mean[m] = mu;
            std[m] = Math.sqrt(squares / n);
        }
        return new MetricSummary(new CaseMetrics(mean[0], mean[1], mean[2], mean[3]),
                new CaseMetrics(std[0], std[1], std[2], std[3]), n);
    }
}
