package org.ducisc.api;

import java.nio.file.Path;

/**
 * What a finished (or stopped) {@link TrainingRun} leaves: its checkpoints, and their metrics over the data
 * set's test list (computed at the end of the run, as the reference reports them; a NIfTI folder without
 * {@code labelsTs/} is scored on its validation cases instead).
 *
 * @param lastCheckpoint the weights at the last iteration ({@code last.safetensors})
 * @param lastTest       mean and standard deviation over the test cases of the last weights' metrics
 * @param bestCheckpoint the weights of the best validation ({@code best.safetensors}), null when no
 *                       validation ran
 * @param bestIteration  the iteration of the best validation, -1 when none ran
 * @param bestTest       the same for the best weights, null when no validation ran
 */
public record TrainingResult(Path lastCheckpoint, MetricStats lastTest, Path bestCheckpoint, long bestIteration,
                             MetricStats bestTest) {
    /** The number of test cases the metrics are over. */
    public int testCases() {
        return lastTest.count();
    }
}
