package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated and bit-flipped copies of the fixtures through each parser (fixed seed): every read
 * must end quickly with either a volume or a one-line IOException / IllegalArgumentException,
 * never a hang, an OutOfMemoryError or another unchecked exception.
 */
class ParserFuzzTest {
    private static final int TRUNCATIONS = 30;
    private static final int FLIPS = 40;
    private static final ExecutorService POOL = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-parse");
        t.setDaemon(true);
        return t;
    });

    @TempDir
    Path tmp;

    private interface Parser {
        Object parse(Path file) throws IOException;
    }

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    @Test
    void h5() throws Exception {
        fuzz("case.h5", H5Volumes::read, 11);
    }

    @Test
    void niftiGzipAndPlain() throws Exception {
        fuzz("image.nii.gz", Nifti::read, 12);
        fuzz("label.nii", Nifti::readLabels, 13);
        fuzz("scaled_be.nii", Nifti::read, 14);
    }

    @Test
    void nrrdRawAndGzip() throws Exception {
        fuzz("raw.nrrd", Nrrd::read, 15);
        fuzz("gz.nrrd", Nrrd::read, 16);
    }

    @Test
    void pthZipAndPickle() throws Exception {
        Path pth = Path.of(ParserFuzzTest.class.getResource("/fixtures/pth/vnet_b1_wrapped.pth").toURI());
        fuzz(pth, "vnet_b1_wrapped.pth", org.ducisc.io.Pth::readStateDict, 17);
    }

    private void fuzz(String fixture, Parser parser, long seed) throws Exception {
        fuzz(Fixtures.file(fixture), fixture, parser, seed);
    }

    private void fuzz(Path source, String fixture, Parser parser, long seed) throws Exception {
        byte[] good = Files.readAllBytes(source);
        Rng rng = new Rng(seed);
        List<byte[]> cases = new ArrayList<>();
        for (int t = 0; t < TRUNCATIONS; t++) {
            // Half the cuts fall in the first 600 bytes, where the headers are.
            int len = t % 2 == 0 ? rng.nextInt(Math.min(600, good.length)) : rng.nextInt(good.length);
            cases.add(java.util.Arrays.copyOf(good, len));
        }
        for (int f = 0; f < FLIPS; f++) {
            byte[] b = good.clone();
            int flips = 1 + rng.nextInt(6);
            for (int n = 0; n < flips; n++) {
                int at = f % 2 == 0 ? rng.nextInt(Math.min(600, b.length)) : rng.nextInt(b.length);
                b[at] ^= (byte) (1 << rng.nextInt(8));
            }
            cases.add(b);
        }
        int ok = 0, rejected = 0;
        for (int c = 0; c < cases.size(); c++) {
            Path file = tmp.resolve(c + "-" + fixture);
            Files.write(file, cases.get(c));
            Future<Object> run = POOL.submit(() -> parser.parse(file));
            try {
                run.get(5, TimeUnit.SECONDS);
                ok++;
            } catch (TimeoutException e) {
                run.cancel(true);
                fail(fixture + " case " + c + ": parse did not finish in 5 s");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                boolean clean = (cause instanceof IOException || cause instanceof IllegalArgumentException)
                        && cause.getMessage() != null && cause.getMessage().lines().count() == 1;
                if (!clean) {
                    throw new AssertionError(fixture + " case " + c + ": unclean failure " + cause, cause);
                }
                rejected++;
            }
            Files.delete(file);
        }
        assertTrue(rejected > TRUNCATIONS / 2, fixture + ": most damaged files are rejected (" + ok + " read, "
                + rejected + " rejected)");
    }
}
