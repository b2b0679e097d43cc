package org.ducisc.core;

/** Elementwise float32 maps out = f(a, b) over broadcast operands. */
public enum BinaryOp {
    ADD,
    SUB,
    MUL,
    DIV,
    /** a where b > 0, else 0: the ReLU gradient, with a the incoming gradient and b the ReLU output */
    RELU_GRAD
}
