package org.ducisc.api;

/**
 * A validation during training, as handed to {@link TrainingListener#onValidation}: the student's mean
 * Dice over the validation cases (sliding-window inference, as the reference validates).
 *
 * @param iteration iterations completed when it ran
 * @param dice      mean Dice over the validation cases
 * @param best      whether it is the best so far (the run then saved {@code best.safetensors})
 */
public record ValidationReport(long iteration, double dice, boolean best) {
}
