package org.ducisc.train;

import java.util.ArrayList;
import java.util.List;
import org.ducisc.autograd.Variable;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/**
 * Stochastic gradient descent as torch.optim.SGD computes it (dampening 0, no Nesterov):
 * d = g + weightDecay*p; buf = momentum*buf + d (buf = d on the first step); p -= lr*buf.
 * Owns its momentum buffers; close it to free them.
 */
public final class Sgd implements AutoCloseable {
    private final List<Variable> parameters;
    private final List<Tensor> momentum = new ArrayList<>();
    private double lr;
    private final double momentumFactor;
    private final double weightDecay;

    public Sgd(List<Variable> parameters, double lr, double momentum, double weightDecay) {
        this.parameters = List.copyOf(parameters);
        this.lr = lr;
        this.momentumFactor = momentum;
        this.weightDecay = weightDecay;
        for (Variable p : this.parameters) {
            this.momentum.add(MemoryScope.unscoped(() -> Tensor.zerosLike(p.value())));
        }
    }

    public double learningRate() {
        return lr;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    /** One update of every parameter that has a gradient; parameters without one are left alone. */
    public void step() {
        try (MemoryScope scope = MemoryScope.open()) {
            for (int i = 0; i < parameters.size(); i++) {
                Variable p = parameters.get(i);
                Tensor g = p.grad();
                if (g == null) {
                    continue;
                }
                Tensor buf = momentum.get(i);
                Tensor d = Elementwise.scale(p.value(), (float) weightDecay);
                Elementwise.addInPlace(d, g);
                Elementwise.affineInPlace(buf, (float) momentumFactor, 0f);
                Elementwise.addInPlace(buf, d);
                Elementwise.addInPlace(p.value(), Elementwise.scale(buf, (float) -lr));
            }
        }
    }

    /** Drops every parameter's gradient. */
    public void zeroGrad() {
        for (Variable p : parameters) {
            p.zeroGrad();
        }
    }

    /** The momentum buffers in parameter order (live tensors, for checkpoints). */
    public List<Tensor> momentumBuffers() {
        return java.util.Collections.unmodifiableList(momentum);
    }

    @Override
    public void close() {
        for (Tensor t : momentum) {
            t.close();
        }
    }
}
