package org.ducisc.api;

/**
 * Receives a training run's progress. Methods are called on the thread that runs the training, between
 * iterations; a slow listener slows the run, and an exception thrown here ends the run (the exception
 * propagates out of {@link TrainingRun#run}).
 */
@FunctionalInterface
public interface TrainingListener {
    /** After every iteration that updated the weights (iterations whose loss was not finite are skipped). */
    void onIteration(IterationReport report);

    /** After every validation (from iteration 800, every 200, by default; see {@link TrainingConfig.Builder#validation}). */
    default void onValidation(ValidationReport report) {
    }
}
