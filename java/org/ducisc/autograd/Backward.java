package org.ducisc.autograd;

import org.ducisc.tensor.Tensor;

/**
 * The gradient rule of one op: given the gradient of the op's output, the gradients of its inputs
 * in input order (null for an input that needs none). Each returned tensor is freshly made by
 * the rule, or is {@code gradOutput} itself; never a tensor of the forward pass.
 */
@FunctionalInterface
public interface Backward {
    Tensor[] apply(Tensor gradOutput);
}
