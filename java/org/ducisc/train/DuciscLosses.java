package org.ducisc.train;

import java.util.ArrayList;
import java.util.List;
import org.ducisc.autograd.ChannelsGrad;
import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.autograd.LayoutGrad;
import org.ducisc.autograd.Losses;
import org.ducisc.autograd.ReductionsGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Tensor;

/** The loss terms of a DuCiSC iteration (method page, section 3, steps 4, 5 and 7). */
final class DuciscLosses {
    private DuciscLosses() {
    }

    /** Cross-entropy against uint8 pseudo labels, averaged over the voxels where {@code mask} (N, spatial) is 1. */
    static Variable maskedCrossEntropy(Variable logits, Tensor pseudo, Tensor mask) {
        return ReductionsGrad.maskedMean(Losses.crossEntropy(logits, pseudo, Losses.Reduction.NONE), mask);
    }

    /** 1 - (2*sum(p*t*m) + s) / (sum(p*m) + sum(t*m) + s) for the foreground probability p (N, 1, ...). */
    static Variable maskedDice(Variable foreground, Tensor target, Tensor mask) {
        long[] shape = foreground.shape();
        Variable m = Variable.constant(mask.reshape(shape));
        Variable t = Variable.constant(target.reshape(shape));
        Variable pm = ElementwiseGrad.mul(foreground, m);
        Variable tm = ElementwiseGrad.mul(t, m);
        Variable intersection = ReductionsGrad.weightedSum(pm, t.value(), false);
        Variable denominator = ElementwiseGrad.add(ReductionsGrad.sumAll(pm), ReductionsGrad.sumAll(tm));
        float s = (float) SegmentationLoss.DICE_SMOOTH;
        return ElementwiseGrad.affine(ElementwiseGrad.div(ElementwiseGrad.affine(intersection, 2f, s), ElementwiseGrad.affine(denominator, 1f, s)),
                -1f, 1f);
    }

    /** (CE + Dice) / 2 of step 4, each averaged over the levels, on the certain voxels of each level. */
    static Variable pseudoLabelLoss(List<Variable> logits, List<Tensor> pseudo, List<Tensor> certain) {
        Variable ce = null;
        Variable dice = null;
        for (int i = 0; i < logits.size(); i++) {
            Variable c = maskedCrossEntropy(logits.get(i), pseudo.get(i), certain.get(i));
            Variable d = maskedDice(SegmentationLoss.foreground(logits.get(i)),
                    Elementwise.cast(pseudo.get(i), org.ducisc.core.DType.FLOAT32), certain.get(i));
            ce = ce == null ? c : ElementwiseGrad.add(ce, c);
            dice = dice == null ? d : ElementwiseGrad.add(dice, d);
        }
        return averagedHalves(ce, dice, logits.size());
    }

    /**
     * Step 7's L_mix: per level the soft label s (resized, shape (N, 1, ...)) gives the target
     * [1-s, s]; KL(target || softmax) averaged over both channels of the certain voxels, and the
     * Dice against s on the certain voxels.
     */
    static Variable mixLoss(List<Variable> logits, List<Tensor> soft, List<Tensor> certain) {
        Variable kl = null;
        Variable dice = null;
        for (int i = 0; i < logits.size(); i++) {
            Tensor s = soft.get(i);
            Tensor target = org.ducisc.tensor.Layout.cat(1, Elementwise.affine(s, -1f, 1f), s);
            long[] maskShape = s.shape();
            Variable k = ReductionsGrad.maskedMean(Losses.klDivergence(ChannelsGrad.logSoftmax(logits.get(i)), target),
                    certain.get(i).reshape(maskShape));
            Variable d = maskedDice(SegmentationLoss.foreground(logits.get(i)), s, certain.get(i));
            kl = kl == null ? k : ElementwiseGrad.add(kl, k);
            dice = dice == null ? d : ElementwiseGrad.add(dice, d);
        }
        return averagedHalves(kl, dice, logits.size());
    }

    private static Variable averagedHalves(Variable a, Variable b, int levels) {
        float inv = 1f / levels;
        return ElementwiseGrad.scale(ElementwiseGrad.add(ElementwiseGrad.scale(a, inv), ElementwiseGrad.scale(b, inv)), 0.5f);
    }

    /**
     * The 2 x C prototype matrix [background; foreground] of feature f (B, C, ...) under the
     * foreground weight m (B, 1, ...): per sample the m-weighted (and (1-m)-weighted) mean of each
     * channel, averaged over the batch.
     */
    static Variable prototypes(Variable feature, Tensor foregroundWeight) {
        Tensor bgWeight = Elementwise.affine(foregroundWeight, -1f, 1f);
        return LayoutGrad.stack(weightedMean(feature, bgWeight), weightedMean(feature, foregroundWeight));
    }

    private static Variable weightedMean(Variable f, Tensor w) {
        Variable wv = Variable.constant(w);
        Variable num = ReductionsGrad.weightedSum(f, w, false, 2, 3, 4);
        Variable den = ReductionsGrad.sum(wv, false, 2, 3, 4);
        return ReductionsGrad.mean(ElementwiseGrad.div(num, den), false, 0);
    }

    /**
     * Mean over the {@code levels} coarsest feature levels of the MSE between two lists of
     * prototypes (features ordered full resolution first); a level whose MSE is not finite (an
     * empty mask) is left out; null when no level is left.
     */
    static Variable prototypeLoss(List<Variable> a, List<Variable> b, int levels) {
        List<Variable> kept = new ArrayList<>();
        for (int i = a.size() - levels; i < a.size(); i++) {
            Variable mse = Losses.mse(a.get(i), b.get(i));
            if (Double.isFinite(mse.value().item())) {
                kept.add(mse);
            }
        }
        if (kept.isEmpty()) {
            return null;
        }
        Variable sum = kept.get(0);
        for (int i = 1; i < kept.size(); i++) {
            sum = ElementwiseGrad.add(sum, kept.get(i));
        }
        return ElementwiseGrad.scale(sum, 1f / kept.size());
    }
}
