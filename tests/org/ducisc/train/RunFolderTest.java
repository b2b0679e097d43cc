package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, items 8 and 9: a run folder is owned by one run (the refusal names the owner), a new run
 * does not replace an existing one unless it is discarded explicitly, and temporary files left by a
 * killed writer are removed by the next owner.
 */
class RunFolderTest {
    @TempDir
    static Path data;

    @TempDir
    Path dir;

    @BeforeAll
    static void phantom() throws Exception {
        Phantom.writeDataset(data, 6, 7, new int[] {32, 32, 32});
    }

    private static Trainer.Settings settings(Path runDir, boolean resume) {
        return new Trainer.Settings(Trainer.Method.SUPERVISED, 2, 2, 42, 2, new int[] {32, 32, 16}, true,
                DuciscConfig.defaults(), runDir, 0, new Trainer.Validation(0, 0, null), resume);
    }

    @Test
    void aSecondOwnerIsRefusedWithTheFirstNamed() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        try (RunFolder first = RunFolder.lock(dir)) {
            RunFolder.InUseException e = assertThrows(RunFolder.InUseException.class, () -> RunFolder.lock(dir));
            assertTrue(e.getMessage().startsWith(dir + ": the run folder is in use by another training run (pid "
                    + ProcessHandle.current().pid() + " on "), e.getMessage());
            assertTrue(e.getMessage().contains(", started 20"), e.getMessage());
            // A training run in the owned folder is refused before it writes anything.
            assertThrows(RunFolder.InUseException.class, () -> Trainer.run(ds, settings(dir, false), null));
            assertFalse(Files.exists(dir.resolve("metrics.csv")));
            assertFalse(Files.exists(dir.resolve("config.json")));
        }
        try (RunFolder again = RunFolder.lock(dir)) {
            assertTrue(Files.readString(dir.resolve(RunFolder.LOCK)).startsWith("pid "));
        }
    }

    /** Issue 10 (fresh-user finding): a run that ends, normally or by an error, leaves no run.lock behind. */
    @Test
    void anEndedRunLeavesNoLockFile() throws Exception {
        try (RunFolder owned = RunFolder.lock(dir)) {
            assertTrue(Files.isRegularFile(dir.resolve(RunFolder.LOCK)));
        }
        assertFalse(Files.exists(dir.resolve(RunFolder.LOCK)), "closed normally");
        Path run = dir.resolve("run");
        Trainer.run(Dataset.open("LA", data), settings(run, false), null);
        assertTrue(Files.isRegularFile(run.resolve("last.safetensors")));
        assertFalse(Files.exists(run.resolve(RunFolder.LOCK)), "a finished training run");
        Path failed = dir.resolve("failed");
        assertThrows(IllegalStateException.class, () -> Trainer.run(Dataset.open("LA", data), settings(failed, false),
                new Trainer.Listener() {
                    @Override
                    public void iteration(long iteration, DuciscStep.Losses losses, Thresholds thresholds) {
                        throw new IllegalStateException("listener failed");
                    }
                }));
        assertFalse(Files.exists(failed.resolve(RunFolder.LOCK)), "a run ended by an error");
        // A lock file whose owner was killed while retiring it (marked, not yet deleted) is taken over.
        Files.writeString(dir.resolve(RunFolder.LOCK), "released\n");
        try (RunFolder owned = RunFolder.lock(dir)) {
            assertTrue(Files.readString(dir.resolve(RunFolder.LOCK)).startsWith("pid " + ProcessHandle.current().pid()));
        }
    }

    /** Holds the lock of the folder given as argument until its standard input closes (for the test below). */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            try (RunFolder owned = RunFolder.lock(Path.of(args[0]))) {
                System.out.println("locked");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // wait for the test to close our input
                }
            }
        }
    }

    @Test
    void anotherProcessIsRefusedWhileOneOwnsTheFolder() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process other = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                dir.toString()).redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            RunFolder.InUseException e = assertThrows(RunFolder.InUseException.class, () -> RunFolder.lock(dir));
            assertTrue(e.getMessage().contains("(pid " + other.pid() + " on "), e.getMessage());
        } finally {
            other.getOutputStream().close();
            assertTrue(other.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        }
        // The lock went with the process.
        try (RunFolder mine = RunFolder.lock(dir)) {
            assertTrue(Files.readString(dir.resolve(RunFolder.LOCK)).startsWith("pid " + ProcessHandle.current().pid()));
        }
    }

    @Test
    void anExistingRunIsRefusedUntilDiscarded() throws Exception {
        Dataset ds = Dataset.open("LA", data);
        // The files of an earlier run (their contents do not matter here).
        Files.createDirectories(dir);
        for (String name : new String[] {"config.json", "metrics.csv", "last.safetensors", "state.safetensors",
            "events.out.tfevents.1.host"}) {
            Files.writeString(dir.resolve(name), "from the earlier run: " + name);
        }
        Files.writeString(dir.resolve("iter_1000.safetensors"), "an older checkpoint");
        Files.writeString(dir.resolve("notes.txt"), "the user's own file");
        Path seed = Files.createDirectories(dir.resolve("seed_3"));
        Files.writeString(seed.resolve("metrics.csv"), "iteration\n");
        String csv = Files.readString(dir.resolve("metrics.csv"));

        org.ducisc.core.ExistingRunException e = assertThrows(org.ducisc.core.ExistingRunException.class,
                () -> Trainer.run(ds, settings(dir, false), null));
        assertTrue(e.getMessage().startsWith(dir + ": already holds a training run (config.json, "), e.getMessage());
        assertEquals(dir, e.dir());
        assertEquals(csv, Files.readString(dir.resolve("metrics.csv")), "the old run is untouched");

        RunFolder.discard(dir);
        assertFalse(RunFolder.holdsRun(dir));
        assertFalse(Files.exists(dir.resolve("iter_1000.safetensors")));
        assertFalse(Files.exists(seed.resolve("metrics.csv")));
        assertTrue(Files.exists(dir.resolve("notes.txt")), "files that are not the run's are kept");
        assertFalse(Files.exists(dir.resolve("events.out.tfevents.1.host")));
        Trainer.validate(ds, settings(dir, false)); // a new run may start
    }

    @Test
    void temporaryFilesOfAKilledWriterAreRemovedByTheNextOwner() throws Exception {
        Files.createDirectories(dir);
        Path staleState = Files.writeString(dir.resolve(".state.safetensors.4f2a.tmp"), "half a state");
        Path staleCsv = Files.writeString(dir.resolve(".metrics.csv.1234567.tmp"), "iteration\n1");
        Path userFile = Files.writeString(dir.resolve("draft.tmp"), "not ours");
        try (RunFolder owned = RunFolder.lock(dir)) {
            assertFalse(Files.exists(staleState));
            assertFalse(Files.exists(staleCsv));
            assertTrue(Files.exists(userFile));
        }
    }
}
