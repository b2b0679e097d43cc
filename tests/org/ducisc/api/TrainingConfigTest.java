package org.ducisc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.Trainer;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {
    @Test
    void defaultsAreTheReferencesAndBuildTheTrainersSettings() {
        TrainingConfig d = TrainingConfig.DEFAULTS;
        assertSame(d, d.validate());
        assertEquals("auto", d.device(), "the command line's default device too");
        Trainer.Settings s = d.settings();
        assertEquals(DuciscConfig.defaults(), s.ducisc());
        assertEquals(Trainer.Validation.reference(), s.validation());
        assertEquals(8, s.labelnum());
        assertEquals(15000, s.maxIterations());
        assertEquals(1337, s.seed());
        DuciscConfig fixed = TrainingConfig.builder().fixedThreshold(0.9).prototypes(false).build().settings().ducisc();
        assertEquals(0.9, fixed.thresholdInit());
        assertFalse(fixed.adaptiveThresholds());
        assertFalse(fixed.prototypes());
        assertEquals(d.labelnum(), d.toBuilder().seed(7).build().labelnum());
    }

    /** Each option just outside its documented range: one neutral line naming it as config.json does (no flag). */
    @Test
    void validateNamesEachOptionOutOfRange() {
        Map<String, UnaryOperator<TrainingConfig.Builder>> bad = new LinkedHashMap<>();
        bad.put("labelnum must be >= 2 (the labeled batch), got 1", b -> b.labelnum(1));
        bad.put("max_iterations must be >= 1, got 0", b -> b.maxIterations(0));
        bad.put("base_filters must be in 1..128, got 0", b -> b.baseFilters(0));
        bad.put("checkpoint_every must be >= 0, got -1", b -> b.checkpointEvery(-1));
        bad.put("val_start must be >= 0, got -1", b -> b.validation(-1, 200, null));
        bad.put("val_every must be >= 0, got -2", b -> b.validation(800, -2, null));
        bad.put("warmup must be >= 0, got -1", b -> b.warmup(-1));
        bad.put("proto_levels must be in 1..4, got 0", b -> b.protoLevels(0));
        bad.put("lamda_teacher must be a finite number >= 0, got -0.1", b -> b.lossWeights(-0.1, 0.1, 0.1, 0.1));
        bad.put("lamda_mix_proto must be a finite number >= 0, got NaN", b -> b.lossWeights(0.3, 0.1, 0.1, Double.NaN));
        bad.put("lr must be a finite number > 0, got 0.0", b -> b.learningRate(0));
        bad.put("ema_decay must be in [0.0, 1.0], got 1.5", b -> b.emaDecay(1.5));
        bad.put("threshold_init must be in (0, 1), got 1.0", b -> b.fixedThreshold(1));
        bad.put("overwrite and resume exclude each other: one discards the run, the other continues it",
                b -> b.overwrite(true).resume(true));
        for (var e : bad.entrySet()) {
            TrainingConfig c = e.getValue().apply(TrainingConfig.builder()).build();
            assertEquals(e.getKey(), assertThrows(InvalidSettingException.class, c::validate).getMessage());
        }
    }
}
