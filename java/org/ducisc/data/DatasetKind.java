package org.ducisc.data;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The three data sets of the reference, with their folder layout and the patch size and test
 * strides of the method page's table (section 1).
 */
public enum DatasetKind {
    /** Left atrium, 2018 challenge: {@code LA/2018LA_Seg_TrainingSet/<case>/mri_norm2.h5}. */
    LA("LA", "2018LA_Seg_TrainingSet", new int[] {112, 112, 80}, 18, 4, false),
    /** Pancreas-CT: {@code Pancreas/Pancreas_h5/<case>.h5}. */
    PANCREAS("Pancreas", "Pancreas_h5", new int[] {96, 96, 96}, 16, 16, false),
    /** Inferior alveolar nerve: {@code Nurves/Nurves_h5/<case>.h5}; label values < 0 read as 0. */
    IAN("Nurves", "Nurves_h5", new int[] {160, 128, 112}, 16, 16, true),
    /**
     * A NIfTI folder in the MSD / nnU-Net v2 layout ({@link NiftiFolder}; the folder is the root itself).
     * Patch 96x96x96 and strides 16/16 by default: the reference's Pancreas-CT setting, its one cubic
     * patch, since such a folder may hold any anatomy at any orientation and voxel size; 96 is a
     * multiple of 16 (the V-Net halves it four times) and fits about 100 mm at 1 mm voxels. Change
     * them with --patch and --stride-xy/--stride-z to suit the data.
     */
    NIFTI("", NiftiFolder.TRAIN_IMAGES, new int[] {96, 96, 96}, 16, 16, false);

    private final String folder;
    private final String casesFolder;
    private final int[] patch;
    private final int strideXY;
    private final int strideZ;
    private final boolean clampNegativeLabels;

    DatasetKind(String folder, String casesFolder, int[] patch, int strideXY, int strideZ, boolean clamp) {
        this.folder = folder;
        this.casesFolder = casesFolder;
        this.patch = patch;
        this.strideXY = strideXY;
        this.strideZ = strideZ;
        this.clampNegativeLabels = clamp;
    }

    /** LA, Pancreas (or Pancreas-CT), IAN (or Nurves, Nerve), any case. */
    public static DatasetKind parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "la", "left-atrium" -> LA;
            case "pancreas", "pancreas-ct", "pancreas_ct" -> PANCREAS;
            case "ian", "nurves", "nerve", "nerves" -> IAN;
            case "nifti", "msd", "nnunet", "nnu-net" -> NIFTI;
            default -> throw new IllegalArgumentException("unknown data set '" + name
                    + "' (expected LA, Pancreas, IAN/Nurves, or NIfTI for an MSD / nnU-Net folder)");
        };
    }

    /** The data set folder's name under the reference's --root_path (LA, Pancreas, Nurves). */
    public String folder() {
        return folder;
    }

    /** The folder that holds the cases, inside the data set folder. */
    public String casesFolder() {
        return casesFolder;
    }

    /** Training patch (W, H, D). */
    public int[] patch() {
        return patch.clone();
    }

    public int strideXY() {
        return strideXY;
    }

    public int strideZ() {
        return strideZ;
    }

    /**
     * The sliding window's strides {xy, z} (voxels) for a network trained on {@code patch} (W, H, D): this data
     * set's, each capped at the patch side it steps along, so that windows always overlap or touch (training's
     * validation and final test, and the demo's figures, evaluate this way).
     */
    public int[] strides(int[] patch) {
        return new int[] {Math.min(strideXY, Math.min(patch[0], patch[1])), Math.min(strideZ, patch[2])};
    }

    public boolean clampNegativeLabels() {
        return clampNegativeLabels;
    }

    /** Where a case's h5 file lies, given the data set folder. */
    public Path caseFile(Path datasetDir, String caseName) {
        Path cases = datasetDir.resolve(casesFolder);
        return this == LA ? cases.resolve(caseName).resolve("mri_norm2.h5") : cases.resolve(caseName + ".h5");
    }
}
