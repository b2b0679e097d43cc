package org.ducisc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.Device;
import org.ducisc.data.Phantom;
import org.ducisc.io.Safetensors;
import org.ducisc.runtime.Backends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {
    @TempDir
    static Path data;

    @TempDir
    Path runs;

    @BeforeAll
    static void phantom() throws Exception {
        Phantom.writeDataset(data, 6, 7, new int[] {32, 32, 32});
    }

    /** A tiny run: 2 base filters, a 32x32x16 patch, unlabeled terms from the second iteration. */
    private TrainingConfig.Builder tiny(String name) {
        return TrainingConfig.builder().labelnum(2).seed(42).baseFilters(2).patch(32, 32, 16)
                .warmup(1).checkpointEvery(0).output(runs.resolve(name));
    }

    /**
     * One run serves both checks (training is the slow part): the reports match metrics.csv, and a stop
     * called from another thread during iteration 3 of 1000 ends the run there, checkpoint written.
     */
    @Test
    void reportsMatchTheLogAndStopFromAnotherThreadEndsTheRunWithItsCheckpoint() throws Exception {
        CpuBackend cpu = CpuBackend.INSTANCE;
        long liveBefore = cpu.liveBytes();
        TrainingRun run = TrainingRun.create(data,
                tiny("run").maxIterations(1000).checkpointEvery(500).validation(2, 2, null).build());
        CountDownLatch third = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread controller = new Thread(() -> {
            try {
                third.await();
                run.stop();
                stopped.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        controller.start();
        List<IterationReport> reports = new ArrayList<>();
        List<ValidationReport> validations = new ArrayList<>();
        TrainingResult result = run.run(new TrainingListener() {
            @Override
            public void onIteration(IterationReport r) {
                reports.add(r);
                if (r.iteration() == 3) {
                    third.countDown();
                    try {
                        assertTrue(stopped.await(60, TimeUnit.SECONDS), "the controller thread called stop");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }

            @Override
            public void onValidation(ValidationReport v) {
                validations.add(v);
            }
        });
        Path last = result.lastCheckpoint();
        controller.join();
        assertTrue(run.stopRequested());
        assertEquals(runs.resolve("run/last.safetensors"), last);
        assertEquals(3, reports.size(), "the run ends after the iteration in which stop was called");
        try (Safetensors st = Safetensors.read(last)) {
            assertEquals("3", st.metadata().get("iteration"), "the checkpoint holds the last iteration's weights");
        }
        assertTrue(Files.readString(runs.resolve("run/log.txt")).contains("stopped on request after iteration 3"));
        assertEquals(1, validations.size(), "validation from iteration 2, every 2: once before the stop");
        assertEquals(2, validations.get(0).iteration());
        assertTrue(validations.get(0).best());
        assertEquals(2, result.bestIteration());
        assertEquals(runs.resolve("run/best.safetensors"), result.bestCheckpoint());
        assertTrue(result.testCases() > 0 && result.lastTest() != null && result.bestTest() != null);
        assertEquals(liveBefore, cpu.liveBytes(), "the run freed all its native memory");

        List<String> csv = Files.readAllLines(runs.resolve("run/metrics.csv"));
        assertEquals(4, csv.size(), "header and three rows");
        for (int i = 0; i < 3; i++) {
            IterationReport r = reports.get(i);
            assertEquals(i + 1, r.iteration());
            String[] row = csv.get(i + 1).split(",", -1);
            assertEquals(Double.parseDouble(row[2]), r.loss(), 1e-5 * Math.abs(r.loss()), "loss, iteration " + (i + 1));
            assertEquals(Double.parseDouble(row[3]), r.supervised(), 1e-5 * Math.abs(r.supervised()));
            assertEquals(row[4].isEmpty(), Double.isNaN(r.pseudoLabel()), "pseudo-label term present as logged");
            for (int level = 0; level < 4; level++) {
                assertEquals(Double.parseDouble(row[9 + level]), r.backgroundThresholds()[level], 1e-6);
                assertEquals(Double.parseDouble(row[13 + level]), r.foregroundThresholds()[level], 1e-6);
            }
        }
        assertTrue(Double.isFinite(reports.get(2).pseudoLabel()), "after the warm-up the unlabeled terms count");
        assertTrue(Files.readString(runs.resolve("run/config.json")).contains("\"base_filters\": 2"));
        try (Segmenter s = Segmenter.builder(last).patch(32, 32, 16).strides(16, 8).build()) {
            assertEquals(2, s.baseFilters(), "the run's checkpoint loads into a segmenter");
        }
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> run.run(null));
        assertTrue(again.getMessage().contains("already started"), again.getMessage());

        List<Long> resumed = new ArrayList<>();
        TrainingRun.create(data, tiny("run").maxIterations(4).checkpointEvery(500).validation(2, 2, null).resume(true)
                .build()).run(r -> resumed.add(r.iteration()));
        assertEquals(List.of(4L), resumed, "a stopped run resumes from its last iteration");
    }

    /**
     * A sweep of three seeds, stopped from the listener during the second: the second run ends there with its
     * checkpoint, the third never starts, and the result's mean and population std are over the two that ran.
     */
    @Test
    void seedSweepSummarisesTheSeedsThatRanAndAStopStartsNoFurtherSeed() throws Exception {
        SeedSweepRun sweep = SeedSweepRun.create(data, tiny("sweep").maxIterations(2).build(), List.of(5L, 6L, 7L));
        List<String> seen = new ArrayList<>();
        SeedSweepResult r = sweep.run(seed -> report -> {
            seen.add(seed + ":" + report.iteration());
            if (seed == 6) {
                sweep.stop();
            }
        });
        assertEquals(List.of("5:1", "5:2", "6:1"), seen);
        assertEquals(List.of(5L, 6L), r.seeds());
        assertEquals(2, r.runs().size());
        assertTrue(Files.isRegularFile(runs.resolve("sweep/seed_6/last.safetensors")));
        assertTrue(!Files.exists(runs.resolve("sweep/seed_7/config.json")), "the third seed never started");
        double a = r.runs().get(0).lastTest().mean().dice();
        double b = r.runs().get(1).lastTest().mean().dice();
        assertEquals((a + b) / 2, r.last().mean().dice(), 1e-12);
        assertEquals(Math.abs(a - b) / 2, r.last().std().dice(), 1e-12, "numpy's population std over seeds");
        assertEquals(2, r.last().count());
        assertTrue(r.last().describe("seed").endsWith("(2 seeds)"), r.last().describe("seed"));
        assertEquals(runs.resolve("sweep/seeds.csv"), r.table());
        assertEquals(5, Files.readAllLines(r.table()).size(), "header, two seeds, mean and std");
        assertMessage(() -> SeedSweepRun.create(data, tiny("twice").build(), List.of(5L, 5L)),
                "seeds must be distinct");
    }

    /**
     * Two seeds at a time: the same numbers as one after the other (seeds.csv byte for byte); a stop during the
     * first two seeds starts no third one, and the sweep summarises the two that ran.
     */
    @Test
    void seedsTrainedSideBySideGiveTheSameNumbersAndAStopStartsNoFurtherSeed() throws Exception {
        SeedSweepResult one = SeedSweepRun.create(data, tiny("serial").maxIterations(2).build(), List.of(5L, 6L, 7L))
                .run(seed -> null, 1);
        SeedSweepResult two = SeedSweepRun.create(data, tiny("side").maxIterations(2).build(), List.of(5L, 6L, 7L))
                .run(seed -> null, 2);
        assertEquals(List.of(5L, 6L, 7L), two.seeds());
        assertEquals(Files.readString(one.table()), Files.readString(two.table()));
        SeedSweepRun sweep = SeedSweepRun.create(data, tiny("stopped").maxIterations(2).build(), List.of(5L, 6L, 7L));
        // Seed 5 waits for seed 6's first iteration, which asks to stop: seed 7 finds the stop when a thread frees.
        java.util.concurrent.CountDownLatch sixReported = new java.util.concurrent.CountDownLatch(1);
        SeedSweepResult r = sweep.run(seed -> seed == 7 ? null : report -> {
            if (seed == 6) {
                sweep.stop();
                sixReported.countDown();
            } else {
                try {
                    assertTrue(sixReported.await(120, java.util.concurrent.TimeUnit.SECONDS), "seed 6 never reported");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 2);
        assertEquals(List.of(5L, 6L), r.seeds());
        assertTrue(!Files.exists(runs.resolve("stopped/seed_7/config.json")), "the third seed never started");
        assertEquals(2, r.last().count());
        assertMessage(() -> SeedSweepRun.create(data, tiny("bad").build(), List.of(5L)).run(seed -> null, 0),
                "seeds trained at once must be at least 1, got 0");
    }

    @Test
    void badOptionsAreNamedBeforeTraining() {
        if (Backends.select("auto").device().kind() == Device.Kind.CPU) { // no usable GPU on this machine
            String reason = assertThrows(IllegalStateException.class, () -> Backends.select("cuda:1")).getMessage();
            assertMessage(() -> TrainingRun.create(data, tiny("x").device("cuda:1").build()),
                "device cuda:1: " + reason);
        }
        assertMessage(() -> TrainingRun.create(data, tiny("x").labelnum(99).build()), "labelnum 99 is larger than the");
        assertMessage(() -> TrainingRun.create(data, tiny("x").method("fixmatch").build()), "unknown method 'fixmatch'");
        assertMessage(() -> TrainingRun.create(data, tiny("x").fixedThreshold(1.5).build()),
                "threshold_init must be in (0, 1), got 1.5");
        assertMessage(() -> TrainingRun.create(data, tiny("x").patch(30, 32, 16).build()),
                "every side must be a positive multiple of 16");
        assertMessage(() -> TrainingRun.create(data, tiny("x").protoLevels(5).build()),
                "prototype levels must be 0..4, got 5");
        assertMessage(() -> TrainingRun.create(data, tiny("x").dataset("brain").build()), "unknown data set 'brain'");
        assertMessage(() -> TrainingRun.create(data, tiny("x").metricRules("medpy").build()),
                "unknown metric rules 'medpy'");
        assertMessage(() -> TrainingRun.create(data, tiny("x").overwrite(true).resume(true).build()),
                "overwrite and resume exclude each other");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        Exception e = assertThrows(Exception.class, call);
        assertTrue(e instanceof IllegalArgumentException, "expected IllegalArgumentException, got " + e);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
