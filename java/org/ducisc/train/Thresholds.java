package org.ducisc.train;

import java.util.Arrays;
import java.util.List;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.tensor.Channels;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Layout;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Reductions;
import org.ducisc.tensor.Tensor;

/**
 * The self-aware confidence thresholds, one background and one foreground value per
 * deep-supervision level (method page, section 3, steps 3 and 9).
 */
public final class Thresholds {
    private final double[] background;
    private final double[] foreground;

    public Thresholds(int levels, double initial) {
        background = new double[levels];
        foreground = new double[levels];
        Arrays.fill(background, initial);
        Arrays.fill(foreground, initial);
    }

    public Thresholds(double[] background, double[] foreground) {
        this.background = background.clone();
        this.foreground = foreground.clone();
    }

    public double background(int level) {
        return background[level];
    }

    public double foreground(int level) {
        return foreground[level];
    }

    public double[] backgroundValues() {
        return background.clone();
    }

    public double[] foregroundValues() {
        return foreground.clone();
    }

    /**
     * Voxels the teacher is sure of at {@code level}: softmax background above its threshold or
     * foreground above its; float 0/1 of shape (N, spatial...).
     */
    public Tensor certainty(Tensor teacherLogits, int level) {
        try (MemoryScope scope = MemoryScope.open();) {
            Tensor q = Channels.softmax(teacherLogits);
            Tensor bg = Elementwise.compare(CompareOp.GT, Layout.narrow(q, 1, 0, 1), background[level], DType.FLOAT32);
            Tensor fg = Elementwise.compare(CompareOp.GT, Layout.narrow(q, 1, 1, 1), foreground[level], DType.FLOAT32);
            // (bg + fg) > 0 is the logical or of two 0/1 masks.
            Tensor either = Elementwise.compare(CompareOp.GT, Elementwise.add(bg, fg), 0, DType.FLOAT32);
            return scope.keep(either.reshape(Channels.withoutChannels(teacherLogits.shape())));
        }
    }

    /**
     * The update of step 9 from the student's logits and the teacher's pseudo labels per level:
     * thr = decay*thr + (1-decay)*mean confidence of the student on the voxels the teacher
     * assigns to that class, clamped to [low, high]; a class with no such voxel keeps its value.
     */
    public void update(List<Tensor> studentLogits, List<Tensor> pseudoLabels, double decay, double low, double high) {
        for (int i = 0; i < background.length; i++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor p = Channels.softmax(studentLogits.get(i));
                Tensor pseudo = pseudoLabels.get(i);
                background[i] = next(background[i], Layout.narrow(p, 1, 0, 1), pseudo, 0, decay, low, high);
                foreground[i] = next(foreground[i], Layout.narrow(p, 1, 1, 1), pseudo, 1, decay, low, high);
            }
        }
    }

    private static double next(double current, Tensor probability, Tensor pseudo, int cls, double decay, double low,
                               double high) {
        Tensor mask = Elementwise.compare(CompareOp.EQ, pseudo, cls, DType.FLOAT32);
        double count = Reductions.sumAll(mask).item();
        if (count == 0) {
            return current;
        }
        double mean = Reductions.sumAll(Elementwise.mul(probability.reshape(mask.shape()), mask)).item() / count;
        return Math.min(Math.max(decay * current + (1 - decay) * mean, low), high);
    }
}
