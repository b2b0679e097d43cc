package org.ducisc.api;

/**
 * What one training iteration computed, as handed to {@link TrainingListener#onIteration}. A loss term
 * that the iteration did not use (the unlabeled terms during warm-up, the terms a method or ablation
 * leaves out) or that was not finite is NaN.
 *
 * @param iteration     iterations completed, counting this one (1 for the first)
 * @param loss          the weighted sum of the terms used, as {@code ./ducisc train} logs it
 * @param supervised    Dice + cross-entropy on the labeled cases
 * @param pseudoLabel   the teacher's pseudo-label consistency term
 * @param prototype     the prototype-alignment term
 * @param mix           the fused-volume term
 * @param mixPrototype  the fused-volume prototype term
 * @param backgroundThresholds the self-aware background confidence thresholds, one per decoder level
 * @param foregroundThresholds the foreground ones
 */
public record IterationReport(long iteration, double loss, double supervised, double pseudoLabel, double prototype,
                              double mix, double mixPrototype, double[] backgroundThresholds,
                              double[] foregroundThresholds) {
    /** Copies the threshold arrays, so a report stays as it was when it was made. */
    public IterationReport {
        backgroundThresholds = backgroundThresholds.clone();
        foregroundThresholds = foregroundThresholds.clone();
    }

    @Override
    public double[] backgroundThresholds() {
        return backgroundThresholds.clone();
    }

    @Override
    public double[] foregroundThresholds() {
        return foregroundThresholds.clone();
    }
}
