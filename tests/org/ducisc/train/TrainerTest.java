package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.TfEvents;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    static Path data;

    @TempDir
    Path runs;

    @BeforeAll
    static void phantom() throws Exception {
        Phantom.writeDataset(data, 6, 7, new int[] {32, 32, 32});
    }

    private static Trainer.Settings settings(Trainer.Method method, int labelnum, Path dir) {
        DuciscConfig d = DuciscConfig.defaults();
        DuciscConfig shortWarmup = new DuciscConfig(1, d.lambdaTeacher(), d.lambdaMix(), d.lambdaProto(),
                d.lambdaMixProto(), d.protoLevels(), d.fusionLow(), d.fusionHigh(), d.thresholdInit(),
                d.thresholdDecay(), d.thresholdLow(), d.thresholdHigh(), d.lr(), d.momentum(), d.weightDecay(),
                d.emaDecay(), true, true, true);
        return new Trainer.Settings(method, labelnum, 3, 42, 2, new int[] {32, 32, 16}, true, shortWarmup, dir, 2,
                new Trainer.Validation(2, 2, null), false);
    }

    @Test
    void sameSeedGivesTheSameRunAndAUsableCheckpoint() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        Path a = Trainer.run(ds, settings(Trainer.Method.DUCISC, 2, runs.resolve("a")), null).last();
        Trainer.run(ds, settings(Trainer.Method.DUCISC, 2, runs.resolve("b")), null);
        List<String> csvA = Files.readAllLines(runs.resolve("a/metrics.csv"));
        assertEquals(4, csvA.size(), "header and three iterations");
        assertEquals(csvA, Files.readAllLines(runs.resolve("b/metrics.csv")), "same seed, same losses and thresholds");
        assertTrue(Files.exists(runs.resolve("a/iter_2.safetensors")));
        assertTrue(Files.readString(runs.resolve("a/config.json")).contains("\"labelnum\": 2"));
        try (VNet net = Checkpoint.load(a, Device.CPU)) {
            assertEquals(2, net.config().baseFilters());
        }
        Path eventsFile;
        try (var files = Files.list(runs.resolve("a"))) {
            eventsFile = files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).findFirst()
                    .orElseThrow();
        }
        List<TfEvents.Event> events = TfEvents.read(eventsFile);
        assertEquals(5, events.size(), "version, 3 iterations, 1 validation");
        TfEvents.Event third = events.get(4);
        assertEquals(3, third.step());
        String[] row = csvA.get(3).split(",");
        assertEquals(Float.parseFloat(row[3]), third.scalars().get("loss/sup"), 1e-5f * Float.parseFloat(row[3]));
        assertEquals(Float.parseFloat(row[16]), third.scalars().get("threshold/fg_3"), 1e-6f);
        assertEquals(15, third.scalars().size(), "6 loss terms, lr and 8 thresholds: " + third.scalars().keySet());
        assertEquals(Map.of("val/dice", events.get(3).scalars().get("val/dice")), events.get(3).scalars());
        assertEquals(2, events.get(3).step());
        String[] last = csvA.get(3).split(",", -1);
        assertTrue(!last[4].isEmpty() && !last[6].isEmpty(), "unlabeled terms are computed after the warm-up: " + csvA.get(3));
    }

    @Test
    void validationPicksTheBestCheckpointAndTheReportCoversBestAndLast() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        Path valList = runs.resolve("val.list");
        List<String> valCases = ds.trainCases().subList(3, 5);
        Files.write(valList, valCases);
        Trainer.Settings s = settings(Trainer.Method.DUCISC, 2, runs.resolve("v"));
        Trainer.Settings everyIteration = new Trainer.Settings(s.method(), 2, 3, s.seed(), s.baseFilters(), s.patch(),
                true, s.ducisc(), s.runDir(), 0, new Trainer.Validation(1, 1, valList), false);
        List<Double> dice = new ArrayList<>();
        Trainer.Result r = Trainer.run(ds, everyIteration, new Trainer.Listener() {
            @Override
            public void iteration(long iteration, DuciscStep.Losses losses, Thresholds thresholds) {
            }

            @Override
            public void validated(long iteration, double d, boolean best) {
                assertEquals(dice.size() + 1, iteration);
                dice.add(d);
            }
        });
        assertEquals(3, dice.size(), "validated after iterations 1, 2 and 3");
        double max = dice.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertEquals(dice.indexOf(max) + 1, r.bestIteration(), "the first iteration with the highest Dice: " + dice);
        SlidingWindow window = Trainer.testWindow(ds, s.patch());
        try (VNet best = Checkpoint.load(r.best(), Device.CPU); VNet last = Checkpoint.load(r.last(), Device.CPU)) {
            assertEquals(max, Trainer.evaluate(best, ds, valCases, window, MetricRules.REFERENCE).mean().dice(), 0.0,
                    "best.safetensors holds the weights that scored the best validation Dice");
            assertEquals(r.bestTest(), Trainer.evaluate(best, ds, ds.testCases(), window, MetricRules.REFERENCE));
            assertEquals(r.lastTest(), Trainer.evaluate(last, ds, ds.testCases(), window, MetricRules.REFERENCE));
        }
        List<String> report = Files.readAllLines(runs.resolve("v/test_metrics.csv"));
        assertEquals(3, report.size(), "header, last and best: " + report);
        assertTrue(report.get(1).startsWith("last,3,") && report.get(2).startsWith("best," + r.bestIteration() + ","),
                report.toString());
    }

    @Test
    void supervisedBaselineUsesOnlyLabeledCases() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        int train = ds.trainCases().size();
        Trainer.run(ds, settings(Trainer.Method.SUPERVISED, train, runs.resolve("sup")), null);
        List<String> csv = Files.readAllLines(runs.resolve("sup/metrics.csv"));
        String[] row = csv.get(1).split(",", -1);
        assertTrue(row[4].isEmpty(), "no pseudo-label term in the supervised baseline: " + csv.get(1));
    }

    @Test
    void badSettingsFailBeforeTraining() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        int train = ds.trainCases().size();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.validate(ds, settings(Trainer.Method.DUCISC, train + 1, runs.resolve("x"))));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.validate(ds, settings(Trainer.Method.DUCISC, train, runs.resolve("x"))));
        assertTrue(e.getMessage().contains("--method supervised"), e.getMessage());
        Trainer.Settings s = settings(Trainer.Method.DUCISC, 2, runs.resolve("x"));
        Trainer.Settings odd = new Trainer.Settings(s.method(), 2, 3, 1, 2, new int[] {30, 32, 32}, true, s.ducisc(),
                s.runDir(), 0, s.validation(), false);
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.validate(ds, odd));
        assertTrue(e.getMessage().contains("multiple of 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Trainer.Method.parse("fancy"));
    }
}
