package org.ducisc.train;

/**
 * The knobs of one DuCiSC iteration that the reference hard-codes, with its values as defaults
 * (method page, section 3), and the switches of the ablations: without prototype alignment,
 * without volume fusion, and with fixed instead of self-aware thresholds. The mean-teacher
 * baseline is all three off with thresholds fixed at 0.5.
 */
public record DuciscConfig(long warmup, double lambdaTeacher, double lambdaMix, double lambdaProto,
                           double lambdaMixProto, int protoLevels, double fusionLow, double fusionHigh,
                           double thresholdInit, double thresholdDecay, double thresholdLow, double thresholdHigh,
                           double lr, double momentum, double weightDecay, double emaDecay, boolean prototypes,
                           boolean fusion, boolean adaptiveThresholds) {

    public static DuciscConfig defaults() {
        return new DuciscConfig(2000, 0.3, 0.1, 0.1, 0.1, 4, 0.25, 0.75, 0.5, 0.99, 0.5, 0.95, 0.01, 0.9, 1e-4,
                0.99, true, true, true);
    }

    /** The mean-teacher baseline: pseudo-label consistency at a fixed 0.5 threshold, no prototypes, no fusion. */
    public DuciscConfig meanTeacher() {
        return new DuciscConfig(warmup, lambdaTeacher, lambdaMix, lambdaProto, lambdaMixProto, protoLevels, fusionLow,
                fusionHigh, 0.5, thresholdDecay, thresholdLow, thresholdHigh, lr, momentum, weightDecay, emaDecay,
                false, false, false);
    }

    public DuciscConfig {
        if (protoLevels < 0 || protoLevels > 4) {
            throw new IllegalArgumentException("prototype levels must be 0..4, got " + protoLevels);
        }
        if (!(fusionLow <= fusionHigh && fusionLow >= 0 && fusionHigh <= 1)) {
            throw new IllegalArgumentException("fusion weight range must be within [0, 1], got [" + fusionLow + ", "
                    + fusionHigh + "]");
        }
        if (!(thresholdLow <= thresholdHigh)) {
            throw new IllegalArgumentException("threshold bounds [" + thresholdLow + ", " + thresholdHigh + "] are reversed");
        }
    }
}
