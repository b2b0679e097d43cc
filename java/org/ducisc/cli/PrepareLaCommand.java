package org.ducisc.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.ducisc.core.Counts;
import java.util.concurrent.Callable;
import org.ducisc.core.Sizes;
import org.ducisc.data.LaPreparation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ducisc prepare-la}: the LA challenge's raw NRRD cases to the reference's h5 layout. */
@Command(name = "prepare-la", mixinStandardHelpOptions = true,
        description = {"Converts the 2018 LA challenge's raw cases (RAW/<case>/lgemri.nrrd and laendo.nrrd) into"
            + " OUT/2018LA_Seg_TrainingSet/<case>/mri_norm2.h5: label = laendo == 255, image z-scored, W and H cropped"
            + " around the label with random 10..19 voxel margins (plus half the shortfall to 112), D kept whole.",
            "train.list / test.list (first 80%% / rest of the sorted names) are written only where absent."})
public final class PrepareLaCommand implements Callable<Integer> {
    @Option(names = "--raw", required = true, description = "Folder holding one sub-folder per case.")
    Path raw;

    @Option(names = "--out", required = true, description = "Data set folder to write (LA/ under the root path).")
    Path out;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed of the random crop margins (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        // Failures go to Main's handler, one "ducisc: ..." line as for every command.
        var done = LaPreparation.prepareAll(raw, out, seed, p -> System.out.println("prepare-la: " + p.name() + " -> "
                + Sizes.of(p.shape())));
        System.out.println("prepare-la: " + Counts.of(done.size(), "case") + " written under " + out);
        return 0;
    }
}
