package org.ducisc.api;

import java.util.Optional;

/**
 * The result of {@link Segmenter#predict(Image)}: the label map, the foreground probability it was
 * thresholded from, and the metrics when a ground truth was given. Both maps have the image's shape
 * and layout (D fastest). The arrays are the caller's: they are fresh for every call and the segmenter
 * keeps no reference to them, so they are returned without a copy.
 */
public final class Segmentation {
    private final int[] shape;
    private final double[] spacing;
    private final byte[] labels;
    private final float[] probability;
    private final Metrics metrics;

    Segmentation(int[] shape, double[] spacing, byte[] labels, float[] probability, Metrics metrics) {
        this.shape = shape.clone();
        this.spacing = spacing.clone();
        this.labels = labels;
        this.probability = probability;
        this.metrics = metrics;
    }

    /** {W, H, D}, the image's. */
    public int[] shape() {
        return shape.clone();
    }

    /** The image's voxel spacing. */
    public double[] spacing() {
        return spacing.clone();
    }

    /**
     * The uint8 label map: 1 where the foreground probability is above 0.5 (and, with
     * {@link Segmenter.Builder#largestComponent(boolean)}, inside its largest 26-connected part), else 0.
     */
    public byte[] labels() {
        return labels;
    }

    /** The foreground probability of every voxel, averaged over the sliding windows covering it. */
    public float[] foregroundProbability() {
        return probability;
    }

    /** The number of voxels labelled 1. */
    public long foregroundVoxels() {
        long n = 0;
        for (byte b : labels) {
            n += b;
        }
        return n;
    }

    /** The metrics against the ground truth given to {@code predict}, or empty when none was. */
    public Optional<Metrics> metrics() {
        return Optional.ofNullable(metrics);
    }
}
