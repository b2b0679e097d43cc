package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An interrupted run continued with --resume is the straight run, bit for bit. */
class ResumeTest {
    private static final int ITERATIONS = 6;
    private static final int CHECKPOINT_EVERY = 3;

    @TempDir
    static Path data;

    @TempDir
    Path runs;

    @BeforeAll
    static void phantom() throws Exception {
        Phantom.writeDataset(data, 6, 11, new int[] {32, 32, 32});
    }

    /** Warm-up of 1, so the pseudo-label, prototype and fusion terms and the threshold update all run. */
    static Trainer.Settings tiny(Path dir, int labelnum, long iterations, boolean resume) {
        DuciscConfig d = DuciscConfig.defaults();
        DuciscConfig shortWarmup = new DuciscConfig(1, d.lambdaTeacher(), d.lambdaMix(), d.lambdaProto(),
                d.lambdaMixProto(), d.protoLevels(), d.fusionLow(), d.fusionHigh(), d.thresholdInit(),
                d.thresholdDecay(), d.thresholdLow(), d.thresholdHigh(), d.lr(), d.momentum(), d.weightDecay(),
                d.emaDecay(), true, true, true);
        return new Trainer.Settings(Trainer.Method.DUCISC, labelnum, iterations, 5, 4, new int[] {32, 32, 16}, true,
                shortWarmup, dir, CHECKPOINT_EVERY, new Trainer.Validation(2, 2, null), resume);
    }

    /** Stands in for a kill: the run dies after the given iteration, past its last checkpoint. */
    private static final class Killed extends RuntimeException {
        Killed() {
            super("killed");
        }
    }

    @Test
    void interruptedAndResumedRunEqualsTheStraightRun() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        Path straight = runs.resolve("straight");
        Trainer.run(ds, tiny(straight, 2, ITERATIONS, false), null);

        Path cut = runs.resolve("cut");
        // Dies during iteration 5 (index 4), after the state of iteration 3 was saved; row 4 is already written.
        assertThrows(Killed.class, () -> Trainer.run(ds, tiny(cut, 2, ITERATIONS, false), (it, losses, thr) -> {
            if (it == CHECKPOINT_EVERY + 1) {
                throw new Killed();
            }
        }));
        List<String> beforeResume = Files.readAllLines(cut.resolve("metrics.csv"));
        assertEquals(CHECKPOINT_EVERY + 3, beforeResume.size(), "the rows past the saved state are on disk before the resume");
        Trainer.run(ds, tiny(cut, 2, ITERATIONS, true), null);

        List<String> a = Files.readAllLines(straight.resolve("metrics.csv"));
        assertEquals(ITERATIONS + 1, a.size());
        String[] lastRow = a.get(ITERATIONS).split(",", -1);
        assertFalse(lastRow[4].isEmpty() || lastRow[5].isEmpty() || lastRow[6].isEmpty() || lastRow[7].isEmpty(),
                "every unlabeled term is active: " + a.get(ITERATIONS));
        assertFalse(lastRow[9].equals("0.500000") && lastRow[13].equals("0.500000"), "the thresholds moved: " + a.get(ITERATIONS));
        assertEquals(a, Files.readAllLines(cut.resolve("metrics.csv")), "same loss curve and thresholds");
        for (String f : List.of("last.safetensors", "best.safetensors", "test_metrics.csv", "iter_3.safetensors", "iter_6.safetensors", TrainState.FILE)) {
            assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(cut.resolve(f)),
                    f + ": same weights (student, teacher, momentum, thresholds, generators)");
        }
        assertTrue(Files.readString(cut.resolve("log.txt")).contains("resume at iteration 3"));
    }

    @Test
    void resumeChecksTheConfigurationBeforeTraining() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        Path dir = runs.resolve("run");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Trainer.validate(ds, tiny(dir, 2, 2, true)));
        assertTrue(none.getMessage().contains("no " + TrainState.FILE), none.getMessage());

        Trainer.run(ds, tiny(dir, 2, 2, false), null);
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> Trainer.run(ds, tiny(dir, 3, 4, true), null));
        // The library names the setting (resume) in neutral words; the CLI turns it into --resume (TrainCommandTest).
        assertEquals("resume " + dir + ": the run was started with other settings: labelnum 2 (here 3);"
                + " resume with the same settings or start a new run", other.getMessage());
        IllegalArgumentException done = assertThrows(IllegalArgumentException.class,
                () -> Trainer.run(ds, tiny(dir, 2, 2, true), null));
        assertTrue(done.getMessage().contains("already has 2 iterations"), done.getMessage());
        assertEquals(csv, Files.readAllLines(dir.resolve("metrics.csv")), "a refused resume leaves the run alone");
    }
}
