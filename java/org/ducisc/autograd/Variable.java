package org.ducisc.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/**
 * A tensor in the recorded graph. Ops on variables record how each result was made, and
 * {@link #backward()} walks that record once in reverse.
 *
 * <p>Gradient contract: a leaf that requires a gradient (a parameter) <b>accumulates</b> into
 * {@link #grad()} (+=) over backward passes until {@link #zeroGrad()}; gradients of intermediate
 * results (activations) are <b>written</b> (=) fresh on each pass and freed as soon as the ops
 * that produced them have used them.
 */
public final class Variable {
    /** Creation counter: an op's result is always numbered after its inputs. */
    private static final java.util.concurrent.atomic.AtomicLong CREATED = new java.util.concurrent.atomic.AtomicLong();

    private final long sequence = CREATED.getAndIncrement();
    private final Tensor value;
    private final boolean requiresGrad;
    private final String op;
    private Variable[] inputs;
    private Backward backward;
    private Tensor grad;
    private boolean releaseAfterBackward;

    private Variable(Tensor value, boolean requiresGrad, String op, Variable[] inputs, Backward backward) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    /** A leaf whose gradient is wanted (a parameter, or an input under test). */
    public static Variable parameter(Tensor value) {
        return new Variable(value, true, "leaf", null, null);
    }

    /** A leaf without gradient (data, labels, detached values). */
    public static Variable constant(Tensor value) {
        return new Variable(value, false, "leaf", null, null);
    }

    /**
     * The result of op {@code name}: recorded with its gradient rule if recording is on and some
     * input needs a gradient, else a constant.
     */
    public static Variable result(String name, Tensor value, Backward rule, Variable... inputs) {
        boolean needs = false;
        if (GradMode.isEnabled()) {
            for (Variable v : inputs) {
                needs |= v != null && v.requiresGrad;
            }
        }
        return needs ? new Variable(value, true, name, inputs.clone(), rule) : constant(value);
    }

    public Tensor value() {
        return value;
    }

    /** The accumulated gradient of a leaf, or null before its first backward pass. */
    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public boolean isLeaf() {
        return backward == null && inputs == null;
    }

    public long[] shape() {
        return value.shape();
    }

    /** The same values, cut from the graph. */
    public Variable detach() {
        return constant(value);
    }

    /** Drops the accumulated gradient (frees it). */
    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /** Sets the gradient of a leaf, replacing (and freeing) any previous one; the leaf takes ownership. */
    public void setGrad(Tensor g) {
        zeroGrad();
        grad = g;
    }

    /**
     * Declares that nothing outside the ops already applied to this result will read its value
     * again (an activation inside a network), so its memory goes back as early as it can, as
     * PyTorch frees a tensor when its last reference goes:
     * <ul>
     *   <li>a recorded result (it requires a gradient) keeps its value until backward has run its
     *       own rule (the rules of the ops that consumed it, which may read it, run before that),
     *       then frees it;</li>
     *   <li>with recording off ({@link GradMode#disabled()}: inference, a teacher pass) no rule can
     *       read it, so it is freed now;</li>
     *   <li>an unrecorded result while recording is on (a constant a recorded op may have saved) is
     *       left to its owner or memory scope.</li>
     * </ul>
     * Call it after the last op that uses the value. A later read of the value throws
     * IllegalStateException (use after close).
     */
    public void release() {
        if (requiresGrad && !isLeaf()) {
            releaseAfterBackward = true;
        } else if (!requiresGrad && !GradMode.isEnabled()) {
            value.close();
        }
    }

    /** Back-propagates from this one-element result. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalArgumentException("backward: output of shape " + java.util.Arrays.toString(value.shape())
                    + " is not a scalar; pass its gradient explicitly");
        }
        backward(Tensor.full(value.device(), value.dtype(), 1.0, value.shape()));
    }

    /** Back-propagates the gradient {@code gradOutput} of this result; the call takes ownership of it. */
    public void backward(Tensor gradOutput) {
        if (!requiresGrad) {
            gradOutput.close();
            throw new IllegalStateException("backward: this result does not depend on anything that requires a gradient");
        }
        List<Variable> order = topologicalOrder();
        // Latest created first, as PyTorch's engine orders ready nodes: a pass's activations and the
        // gradients they need are freed before the next pass back is started, so fewer are alive at once.
        // (Any consumer is created after its inputs, so this is a topological order too.)
        order.sort(java.util.Comparator.comparingLong(v -> v.sequence));
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        pending.put(this, gradOutput);
        for (int i = order.size() - 1; i >= 0; i--) {
            Variable v = order.get(i);
            Tensor g = pending.remove(v);
            if (g == null) {
                continue;
            }
            if (v.isLeaf()) {
                v.accumulate(g);
                continue;
            }
            if (v.backward == null) {
                g.close();
                throw new IllegalStateException("backward: the graph through '" + v.op
                        + "' was already used by an earlier backward pass");
            }
            Tensor[] inGrads = v.backward.apply(g);
            Variable[] ins = v.inputs;
            v.backward = null;
            v.inputs = null;
            for (int k = 0; k < ins.length; k++) {
                Variable in = ins[k];
                Tensor ig = k < inGrads.length ? inGrads[k] : null;
                if (in == null || !in.requiresGrad || ig == null) {
                    continue;
                }
                if (!java.util.Arrays.equals(ig.shape(), in.value.shape())) {
                    throw new IllegalStateException("backward of '" + v.op + "': gradient of input " + k + " has shape "
                            + java.util.Arrays.toString(ig.shape()) + ", the input has "
                            + java.util.Arrays.toString(in.value.shape()));
                }
                ig = ownHandle(ig, g, inGrads, k);
                Tensor prev = pending.get(in);
                if (prev == null) {
                    pending.put(in, ig);
                } else if (prev.isSoleHandle()) {
                    // Nothing else reads prev's memory: accumulate there (prev + ig, bitwise as add).
                    Elementwise.addInPlace(prev, ig);
                    ig.close();
                } else {
                    pending.put(in, Elementwise.add(prev, ig));
                    prev.close();
                    ig.close();
                }
            }
            g.close();
            if (v.releaseAfterBackward) {
                v.value.close();
            }
        }
        for (Tensor t : pending.values()) {
            t.close();
        }
    }

    /**
     * A separate handle on a returned gradient that is also the incoming gradient or another
     * input's gradient, so that closing one handle never frees memory the other still uses.
     */
    private static Tensor ownHandle(Tensor ig, Tensor g, Tensor[] all, int k) {
        boolean shared = ig == g;
        for (int j = 0; j < k && !shared; j++) {
            shared = all[j] == ig;
        }
        return shared ? ig.reshape(ig.shape()) : ig;
    }

    private void accumulate(Tensor g) {
        if (grad == null) {
            grad = MemoryScope.unscoped(g::copy);
        } else {
            Elementwise.addInPlace(grad, g);
        }
        g.close();
    }

    private List<Variable> topologicalOrder() {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        visited.put(this, true);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Variable v = (Variable) frame[0];
            int next = (Integer) frame[1];
            Variable[] ins = v.inputs;
            if (ins != null && next < ins.length) {
                frame[1] = next + 1;
                Variable in = ins[next];
                if (in != null && in.requiresGrad && visited.put(in, true) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return "Variable(" + op + ", " + value + (requiresGrad ? ", requires grad" : "") + ")";
    }
}
