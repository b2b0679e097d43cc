package org.ducisc.tensor;

import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.UnaryOp;

/** Elementwise tensor ops (no gradients): maps, broadcast arithmetic, comparisons, casts. */
public final class Elementwise {
    private Elementwise() {
    }

    public static Tensor unary(UnaryOp op, Tensor x, float a, float b) {
        Checks.float32(op.name().toLowerCase(java.util.Locale.ROOT), x);
        Tensor y = Tensor.emptyLike(x);
        x.backend().unary(op, x.buffer(), x.offset(), y.buffer(), y.offset(), x.numel(), a, b);
        return y;
    }

    public static Tensor affine(Tensor x, float scale, float shift) {
        return unary(UnaryOp.AFFINE, x, scale, shift);
    }

    public static Tensor scale(Tensor x, float scale) {
        return unary(UnaryOp.AFFINE, x, scale, 0f);
    }

    public static Tensor neg(Tensor x) {
        return unary(UnaryOp.AFFINE, x, -1f, 0f);
    }

    public static Tensor exp(Tensor x) {
        return unary(UnaryOp.EXP, x, 0f, 0f);
    }

    public static Tensor log(Tensor x) {
        return unary(UnaryOp.LOG, x, 0f, 0f);
    }

    public static Tensor pow(Tensor x, float exponent) {
        return unary(UnaryOp.POW, x, exponent, 0f);
    }

    public static Tensor clamp(Tensor x, float min, float max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min " + min + " > max " + max);
        }
        return unary(UnaryOp.CLAMP, x, min, max);
    }

    public static Tensor relu(Tensor x) {
        return unary(UnaryOp.RELU, x, 0f, 0f);
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Checks.float32(name, a, b);
        Checks.sameDevice(name, a, b);
        long[] shape = Shapes.broadcast(name, a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(a.device(), DType.FLOAT32, shape);
        a.backend().binary(op, a.buffer(), a.offset(), Shapes.broadcastStrides(a.shapeRef(), shape), b.buffer(),
                b.offset(), Shapes.broadcastStrides(b.shapeRef(), shape), out.buffer(), out.offset(), shape);
        return out;
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary(BinaryOp.ADD, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary(BinaryOp.SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary(BinaryOp.MUL, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary(BinaryOp.DIV, a, b);
    }

    /** a = op(a, b) in place, b broadcast to a's shape. */
    public static void binaryInPlace(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT) + "_";
        Checks.float32(name, a, b);
        Checks.sameDevice(name, a, b);
        long[] shape = a.shapeRef();
        long[] bs = Shapes.broadcast(name, shape, b.shapeRef());
        if (!java.util.Arrays.equals(bs, shape)) {
            throw new IllegalArgumentException(name + ": " + Shapes.str(b.shapeRef()) + " does not broadcast to "
                    + Shapes.str(shape) + " in place");
        }
        long[] own = Shapes.contiguousStrides(shape);
        a.backend().binary(op, a.buffer(), a.offset(), own, b.buffer(), b.offset(),
                Shapes.broadcastStrides(b.shapeRef(), shape), a.buffer(), a.offset(), shape);
    }

    public static void addInPlace(Tensor a, Tensor b) {
        binaryInPlace(BinaryOp.ADD, a, b);
    }

    /** x = scale*x + shift in place. */
    public static void affineInPlace(Tensor x, float scale, float shift) {
        Checks.float32("affine_", x);
        x.backend().unary(UnaryOp.AFFINE, x.buffer(), x.offset(), x.buffer(), x.offset(), x.numel(), scale, shift);
    }

    public static void fill(Tensor x, double value) {
        x.backend().fill(x.dtype(), x.buffer(), x.offset(), x.numel(), value);
    }

    /** 0/1 of type {@code outType} where op(a, b) holds; a and b have one type and broadcast. */
    public static Tensor compare(CompareOp op, Tensor a, Tensor b, DType outType) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Checks.sameDevice(name, a, b);
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(name + ": operand types differ (" + a.dtype() + " "
                    + Shapes.str(a.shapeRef()) + " and " + b.dtype() + " " + Shapes.str(b.shapeRef()) + ")");
        }
        long[] shape = Shapes.broadcast(name, a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(a.device(), outType, shape);
        a.backend().compare(op, a.dtype(), a.buffer(), a.offset(), Shapes.broadcastStrides(a.shapeRef(), shape),
                b.buffer(), b.offset(), Shapes.broadcastStrides(b.shapeRef(), shape), outType, out.buffer(),
                out.offset(), shape);
        return out;
    }

    /** Compares every element of {@code a} with one value. */
    public static Tensor compare(CompareOp op, Tensor a, double value, DType outType) {
        try (Tensor v = MemoryScope.unscoped(() -> Tensor.full(a.device(), a.dtype(), value, 1))) {
            return compare(op, a, v, outType);
        }
    }

    /** A contiguous copy of {@code x} repeated along its size-1 (or missing leading) dims to {@code shape}. */
    public static Tensor broadcastTo(Tensor x, long[] shape) {
        long[] s = Shapes.broadcast("broadcastTo", x.shapeRef(), shape);
        if (!java.util.Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("broadcastTo: " + Shapes.str(x.shapeRef()) + " does not broadcast to "
                    + Shapes.str(shape));
        }
        Tensor out = Tensor.empty(x.device(), x.dtype(), shape);
        x.backend().copyStrided(x.dtype(), x.buffer(), x.offset(), Shapes.broadcastStrides(x.shapeRef(), shape),
                out.buffer(), out.offset(), Shapes.contiguousStrides(shape), shape);
        return out;
    }

    public static Tensor cast(Tensor x, DType to) {
        Tensor out = Tensor.empty(x.device(), to, x.shapeRef());
        x.backend().cast(x.buffer(), x.offset(), x.dtype(), out.buffer(), out.offset(), to, x.numel());
        return out;
    }
}
