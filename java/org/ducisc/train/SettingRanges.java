package org.ducisc.train;

import org.ducisc.core.InvalidSettingException;
import org.ducisc.core.Sizes;
import org.ducisc.nn.VNet;

/**
 * The valid range of every numeric training setting, named as config.json names it. Checked by
 * {@link Trainer#validate} before anything is read, created or trained, so a run with a bad value
 * never starts and leaves no folder behind.
 *
 * <table>
 * <caption>ranges</caption>
 * <tr><th>setting</th><th>valid values</th></tr>
 * <tr><td>max_iterations</td><td>1 ..</td></tr>
 * <tr><td>base_filters</td><td>1 .. {@link VNet#MAX_BASE_FILTERS} (the reference uses 16)</td></tr>
 * <tr><td>patch</td><td>each side a multiple of 16 in 16 .. 1024 voxels; with base_filters, one
 *     activation of the training batch must have fewer than 2^31 values</td></tr>
 * <tr><td>checkpoint_every, val_start, val_every</td><td>0 .. (iterations; 0 = never for the first and last)</td></tr>
 * <tr><td>DuCiSC knobs</td><td>see {@link DuciscConfig#validate()}</td></tr>
 * </table>
 */
public final class SettingRanges {
    public static final int MAX_BASE_FILTERS = VNet.MAX_BASE_FILTERS;
    static final int MAX_PATCH_SIDE = 1024;
    /** The training batch: two labeled and two unlabeled volumes (the reference's batch_size 4). */
    private static final int TRAIN_BATCH = 4;

    private SettingRanges() {}

    /** @throws InvalidSettingException naming the first setting outside its range */
    public static void check(Trainer.Settings s) {
        s.ducisc().validate();
        atLeast("max_iterations", s.maxIterations(), 1);
        checkBaseFilters(s.baseFilters());
        if (s.patch() != null) {
            checkPatch(s.patch(), s.baseFilters(), TRAIN_BATCH);
        }
        atLeast("checkpoint_every", s.checkpointEvery(), 0);
        atLeast("val_start", s.validation().start(), 0);
        atLeast("val_every", s.validation().every(), 0);
    }

    /** @throws InvalidSettingException unless 1 <= baseFilters <= MAX_BASE_FILTERS */
    public static void checkBaseFilters(int baseFilters) {
        if (baseFilters < 1 || baseFilters > MAX_BASE_FILTERS) {
            throw new InvalidSettingException("base_filters", "must be in 1.." + MAX_BASE_FILTERS + ", got " + baseFilters);
        }
    }

    /**
     * Patch sides (multiples of 16 in 16..1024 voxels), and the size of the V-Net's widest activation
     * (batch x base filters x voxels), which must stay below 2^31 values.
     *
     * @throws InvalidSettingException naming patch
     */
    public static void checkPatch(int[] patch, int baseFilters, int batch) {
        for (int side : patch) {
            if (side < VNet.SIZE_MULTIPLE || side > MAX_PATCH_SIDE || side % VNet.SIZE_MULTIPLE != 0) {
                throw new InvalidSettingException("patch", Sizes.of(patch) + ": every side must be a positive"
                        + " multiple of " + VNet.SIZE_MULTIPLE + ", at most " + MAX_PATCH_SIDE + " voxels");
            }
        }
        long values = (long) batch * baseFilters * patch[0] * patch[1] * patch[2];
        if (values > Integer.MAX_VALUE) {
            throw new InvalidSettingException("patch", Sizes.of(patch) + " with base_filters " + baseFilters
                    + " gives a first activation of " + values + " values, more than the 2^31 a tensor can hold;"
                    + " use a smaller patch or fewer base filters");
        }
    }

    static void atLeast(String setting, long value, long min) {
        if (value < min) {
            throw new InvalidSettingException(setting, "must be >= " + min + ", got " + value);
        }
    }

    /** value in [lo, hi] and not NaN. */
    static void within(String setting, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw new InvalidSettingException(setting, "must be in [" + lo + ", " + hi + "], got " + value);
        }
    }

    /** A finite value >= 0 (loss weights). */
    static void finiteNonNegative(String setting, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new InvalidSettingException(setting, "must be a finite number >= 0, got " + value);
        }
    }
}
