package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.ducisc.core.Device;
import org.ducisc.runtime.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --device / --gpu on a machine without a usable CUDA device (skipped where one works). */
class DeviceSelectionTest {
    private static void assumeNoCuda() {
        assumeTrue(Backends.select("auto").device().equals(Device.CPU), "a CUDA device works here");
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        assumeNoCuda();
        Backends.Selection s = Options.selectDevice("auto", null);
        assertEquals(Device.CPU, s.device());
        assertTrue(s.description().startsWith("cpu (") && s.description().contains("; CUDA not used: "),
                s.description());
        assertEquals(Device.CPU, Options.selectDevice("cpu", null).device());
    }

    @Test
    void cudaFailsWithOneLineNamingTheOption() {
        assumeNoCuda();
        for (String[] c : new String[][] {{"cuda", null, "--device cuda: "}, {"cuda:1", null, "--device cuda:1: "},
            {"auto", "2", "--gpu 2: "}, {"cuda:2", "2", "--gpu 2: "}}) {
            Integer gpu = c[1] == null ? null : Integer.valueOf(c[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Options.selectDevice(c[0], gpu));
            assertTrue(e.getMessage().startsWith(c[2]) && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void badNamesAndContradictionsAreRefused() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Options.selectDevice("tpu", null));
        assertEquals("--device tpu: unknown device (expected auto, cpu, cuda, cuda:N or cuda-emu)", bad.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> Options.selectDevice("cpu", 0));
        assertEquals("--device cpu and --gpu 0 name different devices", both.getMessage());
    }

    @Test
    void trainWithCudaExitsNonZeroWithOneLine(@TempDir Path dir) {
        assumeNoCuda();
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("train", "--root-path", dir.toString(), "--device", "cuda", "--out", dir.resolve("run").toString());
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_FAILURE, code, text);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("ducisc: --device cuda: "), text);
    }
}
