package org.ducisc.api;

import java.nio.file.Path;

/**
 * What a finished (or stopped) {@link TrainingRun} leaves: its checkpoints, and their mean metrics over
 * the data set's test list (computed at the end of the run, as the reference reports them).
 *
 * @param lastCheckpoint the weights at the last iteration ({@code last.safetensors})
 * @param lastTest       mean test metrics of the last weights
 * @param bestCheckpoint the weights of the best validation ({@code best.safetensors}), null when no
 *                       validation ran
 * @param bestIteration  the iteration of the best validation, -1 when none ran
 * @param bestTest       mean test metrics of the best weights, null when no validation ran
 * @param testCases      the number of test cases the means are over
 */
public record TrainingResult(Path lastCheckpoint, Metrics lastTest, Path bestCheckpoint, long bestIteration,
                             Metrics bestTest, int testCases) {
}
