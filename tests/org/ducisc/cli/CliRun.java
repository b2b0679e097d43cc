package org.ducisc.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs one command line in this JVM, as `./ducisc` would, and captures what it prints: the tests' one way to drive the CLI. */
public final class CliRun {
    private CliRun() {
    }

    /** Exit code, stdout and stderr of one command line. */
    public record Outcome(int code, String out, String err) {
    }

    /**
     * {@link Main#run} on {@code args} with System.out and System.err captured (UTF-8) and restored after;
     * synchronized, since the streams are global.
     */
    public static synchronized Outcome run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
