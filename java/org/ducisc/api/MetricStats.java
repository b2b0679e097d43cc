package org.ducisc.api;

import java.util.List;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.MetricSummary;
import org.ducisc.train.Trainer;

/**
 * Mean and standard deviation of each metric over a set of test cases (or, for a {@link SeedSweepRun}, over
 * the seeds' per-run means), as the reference reports them with {@code numpy.mean} and {@code numpy.std}: the
 * population standard deviation (divides by n, numpy's default ddof=0). Under the reference's metric rules a
 * NaN in any case makes that metric's mean NaN; under MONAI's ({@link TrainingConfig.Builder#metricRules})
 * NaN cases are left out of that metric's mean ({@code numpy.nanmean}) and {@link #counted} says how many
 * remain. HD95 and ASD are in voxels (the reference's unit spacing).
 *
 * @param mean      per-metric means
 * @param std       per-metric population standard deviations
 * @param count     the number of cases (or seeds) summarised
 * @param undefined the number of test cases with an empty prediction or ground truth (over all runs of a sweep)
 * @param counted   per metric (dice, jaccard, hd95, asd), the number of cases its mean is over
 */
public record MetricStats(Metrics mean, Metrics std, int count, int undefined, List<Integer> counted) {
    /** Copies {@code counted}, which must hold four counts. */
    public MetricStats {
        counted = List.copyOf(counted);
        if (counted.size() != 4) {
            throw new IllegalArgumentException("counted must hold 4 counts (dice, jaccard, hd95, asd), got " + counted);
        }
    }

    /**
     * One line, as {@code ./ducisc train} prints it: "Dice 0.8812 ± 0.0210, Jaccard ..., HD95 ..., ASD ...
     * (n cases)", with {@code over} naming what was counted ("cases", "seeds"), then the undefined cases when
     * there are any.
     */
    public String describe(String over) {
        return Trainer.describe(summary(), over);
    }

    static MetricStats of(MetricSummary s) {
        if (s == null) {
            return null;
        }
        return new MetricStats(metrics(s.mean()), metrics(s.std()), s.cases(), s.undefined(), s.counted());
    }

    private MetricSummary summary() {
        return new MetricSummary(caseMetrics(mean), caseMetrics(std), count, undefined, counted);
    }

    private static Metrics metrics(CaseMetrics m) {
        return new Metrics(m.dice(), m.jaccard(), m.hd95(), m.asd());
    }

    private static CaseMetrics caseMetrics(Metrics m) {
        return new CaseMetrics(m.dice(), m.jaccard(), m.hd95(), m.asd());
    }
}
