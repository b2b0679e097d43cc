package org.ducisc.train;

import org.ducisc.core.InvalidSettingException;

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

    /**
     * Checks every knob against its valid range; the names are config.json's.
     * <ul>
     * <li>warmup: 0 .. iterations; lamda_teacher, lamda_mix, lamda_proto, lamda_mix_proto: finite, >= 0</li>
     * <li>proto_levels: 1..4 (the V-Net's four coarsest decoder levels; turn alignment off with
     *     {@code prototypes} false, not with 0 levels)</li>
     * <li>threshold_init: (0, 1); threshold_decay: [0, 1]; threshold_bounds within [0, 1]</li>
     * <li>lr: finite, > 0; momentum: [0, 1); weight_decay: finite, >= 0; ema_decay: [0, 1]
     *     (the EMA teacher of Tarvainen and Valpola: teacher = decay * teacher + (1 - decay) * student)</li>
     * </ul>
     *
     * @throws InvalidSettingException naming the first knob outside its range
     */
    public void validate() {
        SettingRanges.atLeast("warmup", warmup, 0);
        SettingRanges.finiteNonNegative("lamda_teacher", lambdaTeacher);
        SettingRanges.finiteNonNegative("lamda_mix", lambdaMix);
        SettingRanges.finiteNonNegative("lamda_proto", lambdaProto);
        SettingRanges.finiteNonNegative("lamda_mix_proto", lambdaMixProto);
        if (protoLevels < 1 || protoLevels > 4) {
            throw new InvalidSettingException("proto_levels", "must be in 1..4, got " + protoLevels);
        }
        if (!(thresholdInit > 0 && thresholdInit < 1)) {
            throw new InvalidSettingException("threshold_init", "must be in (0, 1), got " + thresholdInit);
        }
        SettingRanges.within("threshold_decay", thresholdDecay, 0, 1);
        SettingRanges.within("threshold_bounds", thresholdLow, 0, 1);
        SettingRanges.within("threshold_bounds", thresholdHigh, 0, 1);
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new InvalidSettingException("lr", "must be a finite number > 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidSettingException("momentum", "must be in [0, 1), got " + momentum);
        }
        SettingRanges.finiteNonNegative("weight_decay", weightDecay);
        SettingRanges.within("ema_decay", emaDecay, 0, 1);
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
