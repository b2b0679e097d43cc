package org.ducisc.core;

/** Elementwise comparisons; the result is 1 where the relation holds, else 0. */
public enum CompareOp {
    GT, GE, LT, LE, EQ, NE
}
