package org.ducisc.core;

/** Elementwise float32 maps y = f(x; a, b). The parameters a and b are used only where named. */
public enum UnaryOp {
    /** a*x + b */
    AFFINE,
    EXP,
    /** natural logarithm */
    LOG,
    /** x to the power a */
    POW,
    /** min(max(x, a), b) */
    CLAMP,
    /** 1 where a <= x <= b, else 0: the gradient mask of CLAMP */
    INSIDE,
    /** max(x, 0) */
    RELU,
    /** x*log(x), with 0*log(0) = 0 */
    XLOGX,
    /** log(x) + 1: the derivative of XLOGX */
    XLOGX_GRAD
}
