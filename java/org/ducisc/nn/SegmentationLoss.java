package org.ducisc.nn;

import java.util.List;
import org.ducisc.autograd.ChannelsGrad;
import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.autograd.LayoutGrad;
import org.ducisc.autograd.Losses;
import org.ducisc.autograd.ReductionsGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.InterpolationMode;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Resampling;
import org.ducisc.tensor.Tensor;

/** The reference's segmentation losses: cross-entropy and binary Dice over the deep-supervision levels. */
public final class SegmentationLoss {
    /** The Dice smoothing term of the reference. */
    public static final double DICE_SMOOTH = 1e-8;

    private SegmentationLoss() {
    }

    /** The three numbers of the supervised loss, each a one-element variable. */
    public record Terms(Variable crossEntropy, Variable dice, Variable total) {
    }

    /**
     * L_sup of the method page: for each level the uint8 label (N, W, H, D) is resized to the level
     * with nearest-neighbour; CE (mean over voxels) and Dice of the softmax foreground
     * probability; both averaged over the levels; total = (CE + Dice) / 2.
     */
    public static Terms supervised(List<Variable> outputs, Tensor label) {
        Variable ce = null;
        Variable dice = null;
        for (Variable out : outputs) {
            // The graph keeps these targets until backward; the caller's memory scope frees them.
            Tensor target = labelAt(label, out.shape());
            Variable levelCe = Losses.crossEntropy(out, target, Losses.Reduction.MEAN);
            Variable levelDice = dice(foreground(out), Elementwise.cast(target, DType.FLOAT32));
            ce = ce == null ? levelCe : ElementwiseGrad.add(ce, levelCe);
            dice = dice == null ? levelDice : ElementwiseGrad.add(dice, levelDice);
        }
        float inv = 1f / outputs.size();
        ce = ElementwiseGrad.scale(ce, inv);
        dice = ElementwiseGrad.scale(dice, inv);
        return new Terms(ce, dice, ElementwiseGrad.scale(ElementwiseGrad.add(ce, dice), 0.5f));
    }

    /** ChannelsGrad probability of class 1, shape (N, 1, W, H, D). */
    public static Variable foreground(Variable logits) {
        return LayoutGrad.narrow(ChannelsGrad.softmax(logits), 1, 1, 1);
    }

    /** 1 - (2*sum(p*t) + s) / (sum(p) + sum(t) + s) with t a float target broadcastable to p. */
    public static Variable dice(Variable probability, Tensor target) {
        Variable t = Variable.constant(target.reshape(probability.shape()));
        Variable intersection = ReductionsGrad.weightedSum(probability, t.value(), false);
        Variable denominator = ElementwiseGrad.add(ReductionsGrad.sumAll(probability), ReductionsGrad.sumAll(t));
        Variable ratio = ElementwiseGrad.div(ElementwiseGrad.affine(intersection, 2f, (float) DICE_SMOOTH),
                ElementwiseGrad.affine(denominator, 1f, (float) DICE_SMOOTH));
        return ElementwiseGrad.affine(ratio, -1f, 1f);
    }

    /** The label (N, W, H, D) resized with nearest-neighbour to the spatial size of {@code logitsShape}. */
    public static Tensor labelAt(Tensor label, long[] logitsShape) {
        long[] ls = label.shape();
        int[] size = {(int) logitsShape[2], (int) logitsShape[3], (int) logitsShape[4]};
        try (Tensor five = label.reshape(ls[0], 1, ls[1], ls[2], ls[3])) {
            if (ls[1] == size[0] && ls[2] == size[1] && ls[3] == size[2]) {
                return label.reshape(ls);
            }
            try (Tensor resized = Resampling.interpolate(five, size, InterpolationMode.NEAREST)) {
                return resized.reshape(ls[0], size[0], size[1], size[2]);
            }
        }
    }
}
