package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ducisc.data.DatasetKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15.7 and 15.8: every numeric option outside its documented range is refused in one line
 * naming the option, before anything is created; messages name the file or option and the problem.
 */
class OptionRangesTest {
    @TempDir
    Path tmp;

    private Path dataset(String testList) throws IOException {
        Path la = tmp.resolve("LA");
        for (String name : new String[] {"A", "B", "C", "D"}) {
            Path f = DatasetKind.LA.caseFile(la, name);
            Files.createDirectories(f.getParent());
            Files.copy(BadInputCommandsTest.fixture("unfiltered_chunk.h5"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(la.resolve("train.list"), "A\nB\nC\nD\n");
        Files.writeString(la.resolve("test.list"), testList);
        return tmp;
    }

    private List<String> train(Path out, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--root-path", dataset("A\n").toString(), "--labelnum", "2",
                "--max-iterations", "2", "--base-filters", "2", "--patch", "16,16,16", "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void trainingOptionsOutsideTheirRangesAreRefusedBeforeTheRunFolderExists() throws IOException {
        Path out = tmp.resolve("run");
        String[][] cases = {
            {"--base-lr", "NaN"}, {"--base-lr", "Infinity"}, {"--base-lr", "-0.01"}, {"--ema-decay", "2"},
            {"--warmup", "-1"}, {"--val-every", "-5"}, {"--val-start", "-1"}, {"--proto-levels", "0"},
            {"--lamda-mix", "-0.1"}, {"--lamda-teacher", "NaN"}, {"--lamda-proto", "Infinity"},
            {"--lamda-mix-proto", "-1"}, {"--checkpoint-every", "-1"}, {"--max-iterations", "0"},
            {"--patch", "4096,4096,4096"}, {"--patch", "1024,1024,1024"}, {"--base-filters", "100000"},
            {"--base-filters", "0"},
        };
        for (String[] c : cases) {
            List<String> args = train(out);
            int at = args.indexOf(c[0]);
            if (at >= 0) {
                args.set(at + 1, c[1]);
            } else {
                args.addAll(List.of(c));
            }
            BadInputCommandsTest.failsInOneLine(List.of("ducisc: " + c[0] + " "), List.of(out), args.toArray(String[]::new));
        }
    }

    @Test
    void otherCommandsCheckTheirNumbersToo() throws IOException {
        Path mask = BadInputCommandsTest.fixture("label_truth.nii");
        BadInputCommandsTest.failsInOneLine(List.of("--spacing"), List.of(), "metrics", "--pred", mask.toString(),
                "--gt", mask.toString(), "--spacing", "1e-320,1,1");
        BadInputCommandsTest.failsInOneLine(List.of("--base-filters", "1..128"), List.of(), "model-summary",
                "--base-filters", "100000");
        BadInputCommandsTest.failsInOneLine(List.of("--patch"), List.of(), "bench", "vnet", "--patch", "4096,4096,4096",
                "--base-filters", "2");
    }

    @Test
    void emptyTestListIsNamed() throws IOException {
        Path out = tmp.resolve("run");
        List<String> args = train(out);
        dataset("");
        BadInputCommandsTest.failsInOneLine(List.of("test.list: no cases to evaluate on"), List.of(out),
                args.toArray(String[]::new));
        dataset("A\n");
        List<String> threeLabeled = train(out);
        threeLabeled.set(threeLabeled.indexOf("--labelnum") + 1, "3");
        BadInputCommandsTest.failsInOneLine(List.of("--labelnum 3 leaves 1 unlabeled case in "), List.of(out),
                threeLabeled.toArray(String[]::new));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Outcome o = outcome(train(file.resolve("sub")));
        assertEquals(1, o.code());
        assertTrue(o.err().contains("cannot create the output folder") && !o.err().contains("Exception"), o.err());
        assertFalse(Files.exists(file.resolve("sub")));
    }

    private record Outcome(int code, String err) {
    }

    private static Outcome outcome(List<String> args) {
        CliRun.Outcome o = CliRun.run(args.toArray(String[]::new));
        return new Outcome(o.code(), o.err());
    }
}
