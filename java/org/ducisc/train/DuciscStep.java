package org.ducisc.train;

import java.util.ArrayList;
import java.util.List;
import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.InterpolationMode;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Channels;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Layout;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Resampling;
import org.ducisc.tensor.Tensor;

/** One DuCiSC training iteration, steps 1 to 10 of the method page's section 3. */
public final class DuciscStep {
    private DuciscStep() {
    }

    /** Two labeled volumes with their uint8 labels and two unlabeled volumes. */
    public record Batch(Tensor labeledImages, Tensor labels, Tensor unlabeledImages) {
    }

    /**
     * The loss values of an iteration; a term that was not finite (or a zero prototype term) is
     * NaN here and was left out of the update. {@code optimised} is the normalised sum that was
     * differentiated, {@code logged} the plain weighted sum of the finite terms, in warm-up too (as the
     * reference logs {@code train/loss}; method page, step 8).
     */
    public record Losses(double supervised, double pseudoLabel, double prototype, double mix, double mixPrototype,
                         double optimised, double logged) {
    }

    /**
     * Runs the iteration: forward passes, losses, backward, SGD step, threshold update and EMA of
     * the teacher. {@code fusionWeights} are the per-pair weights w of step 6 (drawn by the caller
     * from U(fusionLow, fusionHigh)); {@code iteration} counts from 0.
     */
    public static Losses run(VNet student, VNet teacher, Sgd sgd, Thresholds thresholds, Batch batch,
                             double[] fusionWeights, long iteration, DuciscConfig cfg) {
        try (MemoryScope scope = MemoryScope.open()) {
            boolean semi = iteration >= cfg.warmup();
            // 1-2: student on both halves, supervised loss.
            VNet.Output lab = student.forward(Variable.constant(batch.labeledImages()));
            VNet.Output unl = student.forward(Variable.constant(batch.unlabeledImages()));
            Variable sup = SegmentationLoss.supervised(lab.outputs(), batch.labels()).total();
            // 3: teacher pseudo labels and certainty.
            List<Tensor> teacherLogits = new ArrayList<>();
            try (GradMode off = GradMode.disabled()) {
                VNet.Output t = teacher.forward(Variable.constant(batch.unlabeledImages()));
                for (Variable o : t.outputs()) {
                    teacherLogits.add(o.value());
                }
                for (Variable f : t.features()) {
                    f.release(); // unused: freed now, as its other activations were in the pass
                }
            }
            int levels = teacherLogits.size();
            List<Tensor> pseudo = new ArrayList<>();
            List<Tensor> certain = new ArrayList<>();
            for (int i = 0; i < levels; i++) {
                pseudo.add(Channels.argmax(teacherLogits.get(i)));
                certain.add(thresholds.certainty(teacherLogits.get(i), i));
            }
            // 4: pseudo-label loss on the certain voxels.
            Variable cons = DuciscLosses.pseudoLabelLoss(unl.outputs(), pseudo, certain);
            // 5: labeled and unlabeled prototypes; feature level i pairs with teacher output levels-1-i.
            List<Variable> protoLab = new ArrayList<>();
            List<Variable> protoUnl = new ArrayList<>();
            for (int i = 0; cfg.prototypes() && i < lab.features().size(); i++) {
                Variable fl = lab.features().get(i);
                protoLab.add(DuciscLosses.prototypes(fl, labelWeight(batch.labels(), fl.shape())));
                Tensor p = pseudo.get(levels - 1 - i);
                Tensor pw = Elementwise.cast(p, DType.FLOAT32).reshape(addChannel(p.shape()));
                protoUnl.add(DuciscLosses.prototypes(unl.features().get(i), pw));
            }
            Variable proto = cfg.prototypes() ? DuciscLosses.prototypeLoss(protoLab, protoUnl, cfg.protoLevels()) : null;
            Variable mix = null;
            Variable mixProto = null;
            if (cfg.fusion()) {
                // 6: volume fusion with the soft label.
                Tensor soft = fusedLabel(batch, pseudo.get(levels - 1), fusionWeights);
                VNet.Output fus = student.forward(Variable.constant(fusedImages(batch, fusionWeights)));
                // 7: fused losses.
                List<Tensor> softPerLevel = new ArrayList<>();
                for (Variable o : fus.outputs()) {
                    softPerLevel.add(resizeSoft(soft, o.shape()));
                }
                mix = DuciscLosses.mixLoss(fus.outputs(), softPerLevel, certain);
                if (cfg.prototypes()) {
                    List<Variable> protoFus = new ArrayList<>();
                    for (Variable f : fus.features()) {
                        protoFus.add(DuciscLosses.prototypes(f, resizeSoft(soft, f.shape())));
                    }
                    mixProto = DuciscLosses.prototypeLoss(protoLab, protoFus, cfg.protoLevels());
                }
            }
            // 8: each term normalised by its own detached value.
            double supValue = sup.value().item();
            if (!Double.isFinite(supValue)) {
                return new Losses(supValue, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            Variable optimised = normalised(sup, 1.0);
            double logged = supValue;
            double[] values = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            Variable[] terms = {cons, mix, proto, mixProto};
            double[] weights = {cfg.lambdaTeacher(), cfg.lambdaMix(), cfg.lambdaProto(), cfg.lambdaMixProto()};
            for (int k = 0; k < terms.length; k++) {
                if (terms[k] == null) {
                    continue;
                }
                double v = terms[k].value().item();
                boolean prototypeTerm = k >= 2;
                values[k] = v;
                if (semi && Double.isFinite(v) && !(prototypeTerm && v == 0)) {
                    optimised = ElementwiseGrad.add(optimised, normalised(terms[k], weights[k]));
                }
                // The logged loss is the plain weighted sum of the terms in warm-up too (method page, step 8).
                if (Double.isFinite(v)) {
                    logged += weights[k] * v;
                }
            }
            double optimisedValue = optimised.value().item();
            sgd.zeroGrad();
            optimised.backward();
            // 9: self-aware thresholds from the student's unlabeled predictions.
            if (semi && cfg.adaptiveThresholds()) {
                List<Tensor> studentLogits = new ArrayList<>();
                for (Variable o : unl.outputs()) {
                    studentLogits.add(o.value());
                }
                thresholds.update(studentLogits, pseudo, cfg.thresholdDecay(), cfg.thresholdLow(), cfg.thresholdHigh());
            }
            // 10: SGD, then the teacher follows the student.
            sgd.step();
            sgd.zeroGrad();
            Ema.update(teacher.parameters(), student.parameters(), iteration, cfg.emaDecay());
            return new Losses(supValue, values[0], values[2], values[1], values[3], optimisedValue, logged);
        }
    }

    /** weight * term / sg(term): the term's gradient divided by its value (method page, step 8). */
    static Variable normalised(Variable term, double weight) {
        Tensor detached = Elementwise.scale(term.value(), (float) (1.0 / weight));
        return ElementwiseGrad.div(term, Variable.constant(detached));
    }

    /** The labels (N, W, H, D) resized (nearest) to a feature's spatial size, as float (N, 1, w, h, d). */
    private static Tensor labelWeight(Tensor labels, long[] featureShape) {
        Tensor l = SegmentationLoss.labelAt(labels, featureShape);
        return Elementwise.cast(l, DType.FLOAT32).reshape(addChannel(l.shape()));
    }

    private static long[] addChannel(long[] s) {
        return new long[] {s[0], 1, s[1], s[2], s[3]};
    }

    /** s = w*y_lab + (1-w)*pseudo per pair, as float (N, 1, W, H, D). */
    private static Tensor fusedLabel(Batch b, Tensor pseudoFull, double[] w) {
        Tensor y = Elementwise.cast(b.labels(), DType.FLOAT32);
        Tensor p = Elementwise.cast(pseudoFull, DType.FLOAT32);
        return blend(y, p, w).reshape(addChannel(y.shape()));
    }

    private static Tensor fusedImages(Batch b, double[] w) {
        return blend(b.labeledImages(), b.unlabeledImages(), w);
    }

    /** Per sample j of the first dim: w[j]*a[j] + (1-w[j])*b[j]. */
    private static Tensor blend(Tensor a, Tensor b, double[] w) {
        long n = a.size(0);
        if (w.length != n || b.size(0) != n) {
            throw new IllegalArgumentException("fusion: " + w.length + " weights for batches of " + n + " and "
                    + b.size(0));
        }
        Tensor[] parts = new Tensor[(int) n];
        for (int j = 0; j < n; j++) {
            Tensor aj = Elementwise.scale(a.slice(j, j + 1), (float) w[j]);
            parts[j] = Elementwise.add(aj, Elementwise.scale(b.slice(j, j + 1), (float) (1 - w[j])));
        }
        return Layout.cat(0, parts);
    }

    /** The soft label (N, 1, W, H, D) resized trilinearly (align_corners=False) to the spatial size of {@code shape}. */
    private static Tensor resizeSoft(Tensor soft, long[] shape) {
        int[] size = {(int) shape[2], (int) shape[3], (int) shape[4]};
        long[] s = soft.shape();
        if (s[2] == size[0] && s[3] == size[1] && s[4] == size[2]) {
            return soft;
        }
        return Resampling.interpolate(soft, size, InterpolationMode.TRILINEAR);
    }
}
