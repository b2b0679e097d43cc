package org.ducisc.api;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link SeedSweepRun} leaves: one {@link TrainingResult} per seed that ran (in the order given; a
 * stopped sweep holds the runs that ended), and the mean and population standard deviation over those seeds
 * of each run's mean test metrics ({@link MetricStats#count()} is the number of seeds).
 *
 * @param seeds the seeds that ran, in order
 * @param runs  their results, in the same order
 * @param last  over seeds, of the last checkpoints' mean test metrics
 * @param best  over seeds, of the best checkpoints' ones; null unless every run validated
 * @param table {@code seeds.csv} in the sweep's folder: one row per seed and checkpoint, then the mean and
 *              standard deviation rows
 */
public record SeedSweepResult(List<Long> seeds, List<TrainingResult> runs, MetricStats last, MetricStats best,
                              Path table) {
    /** Copies the lists. */
    public SeedSweepResult {
        seeds = List.copyOf(seeds);
        runs = List.copyOf(runs);
    }
}
