package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.UnaryOp;

/** Elementwise kernels: fill, strided copy, cast, unary and binary maps, comparisons. */
final class CpuPointwise {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long GRAIN = 1 << 15;

    private CpuPointwise() {
    }

    static void fill(DType type, MemorySegment dst, long off, long count, double value) {
        if (type == DType.FLOAT32) {
            MemorySegment s = dst.asSlice(off * 4, count * 4);
            Parallel.forRange(count, GRAIN * 4, (a, b) -> {
                for (long i = a; i < b; i++) {
                    s.setAtIndex(JAVA_FLOAT, i, (float) value);
                }
            });
        } else {
            dst.asSlice(off, count).fill(DType.toUint8(value));
        }
    }

    static void copyStrided(DType type, MemorySegment src, long srcOff, long[] srcStrides, MemorySegment dst,
                            long dstOff, long[] dstStrides, long[] shape) {
        StridedLoop loop = StridedLoop.of(shape, dstStrides, srcStrides);
        long ds = loop.innerStride(0);
        long ss = loop.innerStride(1);
        boolean f32 = type == DType.FLOAT32;
        loop.forEachRun(GRAIN, (row, i0, i1) -> {
            long d = dstOff + loop.rowOffset(0, row);
            long s = srcOff + loop.rowOffset(1, row);
            if (ds == 1 && ss == 1) {
                int es = f32 ? 4 : 1;
                MemorySegment.copy(src, (s + i0) * es, dst, (d + i0) * es, (i1 - i0) * es);
            } else if (f32) {
                for (long i = i0; i < i1; i++) {
                    dst.setAtIndex(JAVA_FLOAT, d + i * ds, src.getAtIndex(JAVA_FLOAT, s + i * ss));
                }
            } else {
                for (long i = i0; i < i1; i++) {
                    dst.set(JAVA_BYTE, d + i * ds, src.get(JAVA_BYTE, s + i * ss));
                }
            }
        });
    }

    static void cast(MemorySegment src, long srcOff, DType from, MemorySegment dst, long dstOff, DType to, long n) {
        if (from == to) {
            MemorySegment.copy(src, srcOff * from.byteSize(), dst, dstOff * to.byteSize(), n * to.byteSize());
            return;
        }
        Parallel.forRange(n, GRAIN, (a, b) -> {
            for (long i = a; i < b; i++) {
                if (from == DType.UINT8) {
                    dst.setAtIndex(JAVA_FLOAT, dstOff + i, Byte.toUnsignedInt(src.get(JAVA_BYTE, srcOff + i)));
                } else {
                    dst.set(JAVA_BYTE, dstOff + i, DType.toUint8(src.getAtIndex(JAVA_FLOAT, srcOff + i)));
                }
            }
        });
    }

    static void unary(UnaryOp op, MemorySegment x, long xOff, MemorySegment y, long yOff, long n, float a,
                      float b) {
        Parallel.forRange(n, GRAIN, (s, e) -> {
            long i = s;
            if (Vectors.LANES > 0 && vectorizable(op)) {
                int lanes = Vectors.LANES;
                for (; i + lanes <= e; i += lanes) {
                    FloatVector v = FloatVector.fromMemorySegment(Vectors.F, x, (xOff + i) * 4, ORDER);
                    unaryVector(op, v, a, b).intoMemorySegment(y, (yOff + i) * 4, ORDER);
                }
            }
            for (; i < e; i++) {
                y.setAtIndex(JAVA_FLOAT, yOff + i, unaryScalar(op, x.getAtIndex(JAVA_FLOAT, xOff + i), a, b));
            }
        });
    }

    private static boolean vectorizable(UnaryOp op) {
        return op == UnaryOp.AFFINE || op == UnaryOp.RELU || op == UnaryOp.CLAMP;
    }

    private static FloatVector unaryVector(UnaryOp op, FloatVector v, float a, float b) {
        return switch (op) {
            case AFFINE -> v.fma(a, b);
            case RELU -> v.max(0f);
            case CLAMP -> v.max(a).min(b);
            default -> throw new IllegalStateException("no vector form for " + op);
        };
    }

    static float unaryScalar(UnaryOp op, float x, float a, float b) {
        return switch (op) {
            case AFFINE -> Math.fma(x, a, b);
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case POW -> (float) Math.pow(x, a);
            case CLAMP -> Math.min(Math.max(x, a), b);
            case INSIDE -> (x >= a && x <= b) ? 1f : 0f;
            case RELU -> Math.max(x, 0f);
            case XLOGX -> x == 0f ? 0f : (float) (x * Math.log(x));
            case XLOGX_GRAD -> (float) (Math.log(x) + 1.0);
        };
    }

    static void binary(BinaryOp op, MemorySegment a, long aOff, long[] aStrides, MemorySegment b, long bOff,
                       long[] bStrides, MemorySegment out, long outOff, long[] shape) {
        StridedLoop loop = StridedLoop.of(shape, StridedLoop.contiguousStrides(shape), aStrides, bStrides);
        long as = loop.innerStride(1);
        long bs = loop.innerStride(2);
        loop.forEachRun(GRAIN, (row, i0, i1) -> {
            long o = outOff + loop.rowOffset(0, row) + i0;
            long ai = aOff + loop.rowOffset(1, row) + i0 * as;
            long bi = bOff + loop.rowOffset(2, row) + i0 * bs;
            binaryRun(op, a, ai, as, b, bi, bs, out, o, i1 - i0);
        });
    }

    private static void binaryRun(BinaryOp op, MemorySegment a, long ai, long as, MemorySegment b, long bi, long bs,
                                  MemorySegment out, long o, long n) {
        long i = 0;
        int lanes = Vectors.LANES;
        if (lanes > 0 && as == 1 && (bs == 1 || bs == 0)) {
            FloatVector bScalar = bs == 0 ? FloatVector.broadcast(Vectors.F, b.getAtIndex(JAVA_FLOAT, bi)) : null;
            for (; i + lanes <= n; i += lanes) {
                FloatVector va = FloatVector.fromMemorySegment(Vectors.F, a, (ai + i) * 4, ORDER);
                FloatVector vb = bScalar != null ? bScalar
                        : FloatVector.fromMemorySegment(Vectors.F, b, (bi + i) * 4, ORDER);
                binaryVector(op, va, vb).intoMemorySegment(out, (o + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) {
            float va = a.getAtIndex(JAVA_FLOAT, ai + i * as);
            float vb = b.getAtIndex(JAVA_FLOAT, bi + i * bs);
            out.setAtIndex(JAVA_FLOAT, o + i, binaryScalar(op, va, vb));
        }
    }

    private static FloatVector binaryVector(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case RELU_GRAD -> a.blend(0f, b.compare(VectorOperators.LE, 0f));
        };
    }

    static float binaryScalar(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case RELU_GRAD -> b > 0f ? a : 0f;
        };
    }

    static void compare(CompareOp op, DType in, MemorySegment a, long aOff, long[] aStrides, MemorySegment b,
                        long bOff, long[] bStrides, DType outType, MemorySegment out, long outOff, long[] shape) {
        StridedLoop loop = StridedLoop.of(shape, StridedLoop.contiguousStrides(shape), aStrides, bStrides);
        long as = loop.innerStride(1);
        long bs = loop.innerStride(2);
        boolean f32In = in == DType.FLOAT32;
        boolean f32Out = outType == DType.FLOAT32;
        loop.forEachRun(GRAIN, (row, i0, i1) -> {
            long o = outOff + loop.rowOffset(0, row);
            long ai = aOff + loop.rowOffset(1, row);
            long bi = bOff + loop.rowOffset(2, row);
            for (long i = i0; i < i1; i++) {
                float va = f32In ? a.getAtIndex(JAVA_FLOAT, ai + i * as)
                        : Byte.toUnsignedInt(a.get(JAVA_BYTE, ai + i * as));
                float vb = f32In ? b.getAtIndex(JAVA_FLOAT, bi + i * bs)
                        : Byte.toUnsignedInt(b.get(JAVA_BYTE, bi + i * bs));
                boolean r = switch (op) {
                    case GT -> va > vb;
                    case GE -> va >= vb;
                    case LT -> va < vb;
                    case LE -> va <= vb;
                    case EQ -> va == vb;
                    case NE -> va != vb;
                };
                if (f32Out) {
                    out.setAtIndex(JAVA_FLOAT, o + i, r ? 1f : 0f);
                } else {
                    out.set(JAVA_BYTE, o + i, (byte) (r ? 1 : 0));
                }
            }
        });
    }
}
