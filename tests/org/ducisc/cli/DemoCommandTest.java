package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./ducisc demo at a scale of seconds: phantom generated, both methods trained and compared, plots written. */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void tinyDemoRunsEndToEnd() throws Exception {
        CliRun.Outcome o = CliRun.run("demo", "--dir", dir.toString(), "--iterations", "2",
                "--warmup", "1", "--cases", "6", "--size", "32,32,32", "--patch", "32,32,16", "--base-filters", "2",
                "--labelnum", "2", "--seeds", "1337");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().startsWith("demo: phantom " + dir.resolve("data") + " (6 cases of 32,32,32, generating),"
                + " labelnum 2, patch 32,32,16, 2 base filters, 2 iterations per method, warm-up 1, seeds 1337;"), o.out());
        assertTrue(Files.isRegularFile(dir.resolve("data/LA/test.list")));
        // The table's Dice row holds each run's last-checkpoint mean Dice from its test_metrics.csv.
        String diceRow = o.out().lines().filter(l -> l.startsWith("Dice ")).findFirst().orElseThrow();
        String[] cells = diceRow.split("\\|");
        assertEquals(3, cells.length, diceRow);
        for (int m = 0; m < 2; m++) {
            List<String> report = Files.readAllLines(dir.resolve(m == 0 ? "ducisc" : "supervised-matched")
                    .resolve("test_metrics.csv"));
            double dice = Double.parseDouble(report.get(1).split(",")[3]);
            assertEquals(String.format(Locale.ROOT, "%.4f", dice), cells[m + 1].trim().split(" ")[0], diceRow);
        }
        assertTrue(o.out().contains("DuCiSC vs supervised (matched)") && o.out().lines().anyMatch(l -> l.startsWith("metric ")
                && l.contains("| supervised (matched)")), "the matched baseline is the default comparison:\n" + o.out());
        for (String row : List.of("metric ", "Jaccard ", "HD95 ", "ASD ")) {
            assertTrue(o.out().lines().anyMatch(l -> l.startsWith(row)), row + " missing:\n" + o.out());
        }
        BufferedImage training = ImageIO.read(dir.resolve("plots/training.png").toFile());
        assertNotNull(training);
        assertEquals(960, training.getWidth());
        BufferedImage slices = ImageIO.read(dir.resolve("plots/test-slices.png").toFile());
        assertNotNull(slices);
        assertEquals(4 * (32 * 6 + 8), slices.getWidth(), "image, truth and two predictions; one row per test case");
    }

    /**
     * Two methods trained at once (--jobs 2, the default on 2 cores) give every run the same numbers as one
     * after the other: each seed's metrics.csv and test_metrics.csv, and the seeds.csv of both sweeps, byte for byte.
     */
    @Test
    void concurrentRunsGiveTheSameNumbersAsSequentialOnes(@TempDir Path other) throws Exception {
        Path[] dirs = {dir, other};
        String[] jobs = {"1", "2"};
        for (int d = 0; d < 2; d++) {
            CliRun.Outcome o = CliRun.run("demo", "--dir", dirs[d].toString(), "--iterations", "3",
                    "--warmup", "1", "--cases", "6", "--size", "32,32,32", "--patch", "32,32,16", "--base-filters", "2",
                    "--labelnum", "2", "--seeds", "1337,1338", "--jobs", jobs[d]);
            assertEquals(0, o.code(), o.err());
        }
        for (String m : List.of("ducisc", "supervised-matched")) {
            assertEquals(Files.readString(dir.resolve(m).resolve("seeds.csv")),
                    Files.readString(other.resolve(m).resolve("seeds.csv")), m);
            for (String seed : List.of("seed_1337", "seed_1338")) {
                for (String f : List.of("metrics.csv", "test_metrics.csv")) {
                    assertEquals(Files.readString(dir.resolve(m).resolve(seed).resolve(f)),
                            Files.readString(other.resolve(m).resolve(seed).resolve(f)), m + "/" + seed + "/" + f);
                }
            }
        }
        CliRun.Outcome zero = CliRun.run("demo", "--dir", dir.resolve("bad").toString(), "--iterations", "0");
        assertTrue(zero.code() != 0 && zero.err().contains("--iterations must be >= 1, got 0") && zero.out().isEmpty(),
                zero.out() + zero.err());
        CliRun.Outcome few = CliRun.run("demo", "--dir", dir.resolve("bad").toString(), "--cases", "1");
        assertTrue(few.code() != 0 && few.out().isEmpty(), "refused before the header: " + few.out() + few.err());
        CliRun.Outcome bad = CliRun.run("demo", "--dir", dir.resolve("bad").toString(), "--jobs", "0");
        assertTrue(bad.code() != 0, bad.out());
        assertTrue(bad.err().contains("--jobs must be at least 1, got 0"), bad.err());
        assertFalse(Files.exists(dir.resolve("bad").resolve("data")), "a bad option leaves no phantom behind");
    }

    @Test
    void theTableSaysHowManyCasesWereUndefined() {
        org.ducisc.api.Metrics m = new org.ducisc.api.Metrics(0.5, 0.3, 2, 1);
        List<Integer> counted = List.of(2, 2, 2, 2);
        org.ducisc.api.MetricStats none = new org.ducisc.api.MetricStats(m, m, 2, 0, counted);
        org.ducisc.api.MetricStats one = new org.ducisc.api.MetricStats(m, m, 2, 1, counted);
        org.ducisc.api.MetricStats two = new org.ducisc.api.MetricStats(m, m, 2, 2, counted);
        String t = DemoCommand.table(List.of("ducisc", "supervised-matched"), List.of(none, one), "2 test cases");
        assertTrue(t.endsWith("supervised (matched): 1 case with an empty prediction or ground truth, scored by the"
                + " reference's rule\n") && !t.contains("DuCiSC:"), t);
        t = DemoCommand.table(List.of("ducisc", "supervised-matched"), List.of(two, none), "2 test cases");
        assertTrue(t.endsWith("DuCiSC: 2 cases with an empty prediction or ground truth, scored by the"
                + " reference's rule\n"), t);
    }

    /**
     * The defaults are the scale README's demo table was measured at (issue 13): 3 seeds, labelnum 2,
     * patch 32,32,16, 400 iterations, warm-up 80, a phantom of 20 cases of 48,48,32. Changing one means
     * measuring the demo again.
     */
    @Test
    void defaultsAreTheMeasuredScale() {
        CliRun.Outcome o = CliRun.run("demo", "--help");
        assertEquals(0, o.code(), o.err());
        String help = o.out().replaceAll("\\s+", " ");
        for (String d : List.of("Iterations per method (default 400)", "before the unlabeled terms (default 80)",
                "Labeled training cases (default 2)", "Training patch W,H,D (default 32,32,16)",
                "V-Net base filters (default 4)", "(default 20; 80% train)", "(default 48,48,32)",
                "Training seeds (default 1337,1338,1339)", "Seed of the phantom when generating it (default 1337)",
                "(default matched)")) {
            assertTrue(help.contains(d), "demo --help lacks '" + d + "':\n" + o.out());
        }
    }
}
