package org.ducisc.cli;

import static org.ducisc.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ducisc.api.TrainingConfig;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.cli.CliRun.Outcome;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./ducisc train end to end on a tiny phantom: bad input fails in one line before training; --seeds summarises. */
class TrainCommandTest {
    @TempDir
    static Path data;

    @TempDir
    Path work;

    private static int trainCases;

    @BeforeAll
    static void phantom() throws Exception {
        Phantom.writeDataset(data, 6, 3, new int[] {32, 32, 32});
        trainCases = Dataset.open("LA", data).trainCases().size();
    }


    /** The tiny command line; {@code more} are option/value pairs that replace the defaults' values or are added. */
    private List<String> tiny(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--root-path", data.toString(), "--labelnum", "2",
                "--max-iterations", "2", "--base-filters", "2", "--patch", "32,32,16", "--warmup", "1",
                "--val-start", "2", "--val-every", "2", "--out", out.toString()));
        for (int i = 0; i < more.length; i += 2) {
            int at = args.indexOf(more[i]);
            if (at >= 0) {
                args.set(at + 1, more[i + 1]);
            } else {
                args.addAll(List.of(more[i], more[i + 1]));
            }
        }
        return args;
    }

    private void assertFailsInOneLine(String expected, Path runDir, List<String> args) {
        Outcome o = run(args.toArray(String[]::new));
        assertEquals(1, o.code(), o.err());
        String[] lines = o.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + o.err());
        assertTrue(lines[0].startsWith("ducisc: ") && lines[0].contains(expected), lines[0]);
        assertFalse(Files.exists(runDir.resolve("metrics.csv")), "nothing was trained");
    }

    @Test
    void badInputFailsInOneLineBeforeTraining() throws Exception {
        Path run = work.resolve("run");
        List<String> args = tiny(run, "--dataset-name", "Liver");
        assertFailsInOneLine("Liver", run, args);
        assertFailsInOneLine("--labelnum " + (trainCases + 1) + " is larger than the " + trainCases, run,
                tiny(run, "--labelnum", Integer.toString(trainCases + 1)));
        assertFailsInOneLine("--method supervised gives the fully supervised upper bound", run,
                tiny(run, "--labelnum", Integer.toString(trainCases)));
        List<String> noPad = tiny(run);
        noPad.add("--no-pad");
        assertFailsInOneLine("--no-pad: patch 32x32x16 does not fit inside case", run, noPad);
        Path file = Files.writeString(work.resolve("a-file"), "x");
        assertFailsInOneLine("cannot create the output folder", file.resolve("sub"), tiny(file.resolve("sub")));

        Path done = work.resolve("done");
        assertEquals(0, run(tiny(done).toArray(String[]::new)).code());
        String csv = Files.readString(done.resolve("metrics.csv"));
        assertFalse(Files.exists(done.resolve("run.lock")), "a finished run leaves no lock file behind");
        Outcome o = run(tiny(done, "--resume", done.toString(), "--max-iterations", "4", "--lamda-mix", "0.2",
                "--lamda-proto", "0.3").toArray(String[]::new));
        assertEquals(1, o.code());
        // Every differing setting at once, not one per attempt.
        assertEquals("ducisc: --resume " + done + ": the run was started with other settings: lamda_mix 0.1 (here 0.2),"
                + " lamda_proto 0.1 (here 0.3); resume with the same settings or start a new run", o.err().strip());
        assertEquals(csv, Files.readString(done.resolve("metrics.csv")));
        Outcome finished = run(tiny(done, "--resume", done.toString()).toArray(String[]::new));
        assertEquals(1, finished.code());
        assertTrue(finished.err().strip().matches("ducisc: --resume " + java.util.regex.Pattern.quote(done.toString())
                + ": the run already has \\d+ iterations?; --max-iterations must be above that to continue it"),
                finished.err());
        assertFalse(Files.exists(done.resolve("run.lock")), "a refused resume leaves no lock file behind");
    }

    /** Issue 14, item 8: --out on an existing run needs --resume or --overwrite; the old run is left as it was. */
    @Test
    void anExistingRunIsNotReplacedWithoutOverwrite() throws Exception {
        Path done = work.resolve("existing");
        assertEquals(0, run(tiny(done).toArray(String[]::new)).code());
        Files.writeString(done.resolve("iter_1000.safetensors"), "from a longer run");
        String csv = Files.readString(done.resolve("metrics.csv"));
        byte[] last = Files.readAllBytes(done.resolve("last.safetensors"));
        Outcome o = run(tiny(done, "--seed", "5").toArray(String[]::new));
        assertEquals(1, o.code(), o.err());
        assertEquals("ducisc: --out " + done + " already holds a training run; continue it with --resume " + done
                + ", choose another --out, or add --overwrite to discard it", o.err().strip());
        assertEquals(csv, Files.readString(done.resolve("metrics.csv")));
        assertTrue(java.util.Arrays.equals(last, Files.readAllBytes(done.resolve("last.safetensors"))));

        List<String> overwrite = tiny(done, "--seed", "5");
        overwrite.add("--overwrite");
        Outcome again = run(overwrite.toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        assertFalse(Files.exists(done.resolve("iter_1000.safetensors")), "no file of the old run left mixed in");
        assertTrue(Files.readString(done.resolve("config.json")).contains("\"seed\": 5"));
    }

    @Test
    void seedsRunInSubFoldersAndAreSummarised() throws Exception {
        Path out = work.resolve("sweep");
        Outcome o = run(tiny(out, "--seeds", "3,4").toArray(String[]::new));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("over seeds [3, 4], last checkpoints: Dice "), o.out());
        double[] dice = new double[2];
        for (int i = 0; i < 2; i++) {
            List<String> report = Files.readAllLines(out.resolve("seed_" + (3 + i)).resolve("test_metrics.csv"));
            dice[i] = Double.parseDouble(report.get(1).split(",")[3]);
            assertTrue(Files.readString(out.resolve("seed_" + (3 + i)).resolve("config.json")).contains("\"seed\": " + (3 + i)));
        }
        List<String> rows = Files.readAllLines(out.resolve("seeds.csv"));
        String mean = rows.stream().filter(r -> r.startsWith("mean,last,")).findFirst().orElseThrow();
        String std = rows.stream().filter(r -> r.startsWith("std,last,")).findFirst().orElseThrow();
        assertEquals((dice[0] + dice[1]) / 2, Double.parseDouble(mean.split(",")[2]), 2e-6, rows.toString());
        assertEquals(Math.abs(dice[0] - dice[1]) / 2, Double.parseDouble(std.split(",")[2]), 2e-6, rows.toString());
    }

    /** The command's defaults are the configuration object's, and its range errors name the flags. */
    @Test
    void defaultsComeFromTheConfigurationAndErrorsNameFlags() {
        TrainCommand cmd = new TrainCommand();
        new picocli.CommandLine(cmd).parseArgs("--root-path", data.toString());
        TrainingConfig d = TrainingConfig.DEFAULTS;
        assertEquals(List.of(d.dataset(), d.method(), d.labelnum(), d.maxIterations(), d.seed(), d.baseFilters(),
                        d.padding(), d.output(), d.checkpointEvery(), d.validationStart(), d.validationEvery(), d.device(),
                        d.warmup(), d.lambdaTeacher(), d.lambdaMix(), d.lambdaProto(), d.lambdaMixProto(), d.protoLevels(),
                        d.learningRate(), d.emaDecay(), d.prototypes(), d.fusion()),
                List.of(cmd.datasetName, cmd.method, cmd.labelnum, cmd.maxIterations, cmd.seed, cmd.baseFilters,
                        !cmd.noPad, cmd.runDir, cmd.checkpointEvery, cmd.valStart, cmd.valEvery, cmd.device, cmd.warmup,
                        cmd.lamdaTeacher, cmd.lamdaMix, cmd.lamdaProto, cmd.lamdaMixProto, cmd.protoLevels, cmd.lr,
                        cmd.emaDecay, !cmd.noProto, !cmd.noMix));
        Path run = work.resolve("ranges");
        assertFailsInOneLine("--ema-decay must be in [0.0, 1.0], got 2.0", run, tiny(run, "--ema-decay", "2"));
        assertFailsInOneLine("--warmup must be >= 0, got -3", run, tiny(run, "--warmup", "-3"));
    }
}
