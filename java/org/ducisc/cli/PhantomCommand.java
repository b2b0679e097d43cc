package org.ducisc.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ducisc.data.Phantom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ducisc phantom}: writes the synthetic left-atrium-like data set. */
@Command(name = "phantom", mixinStandardHelpOptions = true,
        description = {"Writes a synthetic data set in the LA layout: OUT/LA/2018LA_Seg_TrainingSet/<case>/mri_norm2.h5,"
            + " OUT/LA/train.list (first 80%% of the cases) and OUT/LA/test.list (the rest).",
            "Same seed, cases and size: same files, byte for byte."})
public final class PhantomCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output root (the future --root-path).")
    Path out;

    @Option(names = "--cases", defaultValue = "" + Phantom.DEFAULT_CASES, description = "Number of cases (default: ${DEFAULT-VALUE}).")
    int cases;

    @Option(names = "--seed", defaultValue = "1337", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", split = ",", defaultValue = "96,96,64", description = "Volume size W,H,D (default: ${DEFAULT-VALUE}).")
    int[] size;

    @Option(names = "--preview", description = "Also write PNG slices (image | label contour) of the first 3 cases to this folder.")
    Path preview;

    @Override
    public Integer call() {
        try {
            long t0 = System.nanoTime();
            Options.withFlags(() -> {
                Phantom.checkOptions(cases, size);
                return null;
            });
            if (preview != null) { // checked first, so a bad preview folder leaves no data set behind
                InferenceOptions.checkWritable(preview.resolve("phantom-1.png"));
            }
            List<String> names = Phantom.writeDataset(out, cases, seed, size);
            System.out.printf("phantom: wrote %d cases of %dx%dx%d to %s in %.1f s%n", names.size(), size[0], size[1],
                    size[2], out.resolve("LA"), (System.nanoTime() - t0) / 1e9);
            if (preview != null) {
                for (int c = 0; c < Math.min(3, cases); c++) {
                    Path png = preview.resolve("phantom-" + (c + 1) + ".png");
                    Phantom.writePreview(png, Phantom.generate(c, seed, size));
                    System.out.println("phantom: preview " + png);
                }
            }
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("ducisc: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
