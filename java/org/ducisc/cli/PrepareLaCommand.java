package org.ducisc.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
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
    public Integer call() {
        try {
            var done = LaPreparation.prepareAll(raw, out, seed,
                    p -> System.out.println("prepare-la: " + p.name() + " -> " + Arrays.toString(p.shape())));
            System.out.println("prepare-la: " + done.size() + " cases written under " + out);
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("ducisc prepare-la: " + e.getMessage());
            return 1;
        }
    }
}
