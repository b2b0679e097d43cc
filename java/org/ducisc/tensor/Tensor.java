package org.ducisc.tensor;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.ducisc.backend.Backend;
import org.ducisc.backend.Buffer;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.runtime.Backends;

/**
 * A contiguous n-dimensional array (NCDHW for volumes) in the memory of one device. Views (a
 * batch slice, a reshape) share the storage; the storage is freed when the tensor and all its
 * views are closed, by the caller or by the {@link MemoryScope} that adopted them. Nothing waits
 * for the garbage collector.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final long offset;
    private final long[] shape;
    private final DType dtype;
    private volatile boolean closed;

    private Tensor(Storage storage, long offset, long[] shape, DType dtype) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.dtype = dtype;
        MemoryScope.adopt(this);
    }

    // ---- creation ----

    /** A tensor with undefined contents. */
    public static Tensor empty(Device device, DType dtype, long... shape) {
        long[] s = Shapes.checkShape(shape);
        Backend backend = Backends.of(device);
        return new Tensor(new Storage(backend, Shapes.numel(s) * dtype.byteSize()), 0, s, dtype);
    }

    public static Tensor empty(long... shape) {
        return empty(Device.CPU, DType.FLOAT32, shape);
    }

    /** An uninitialised tensor of the same device, type and shape as {@code like}. */
    public static Tensor emptyLike(Tensor like) {
        return empty(like.device(), like.dtype, like.shape);
    }

    public static Tensor full(Device device, DType dtype, double value, long... shape) {
        Tensor t = empty(device, dtype, shape);
        t.backend().fill(dtype, t.buffer(), t.offset, t.numel(), value);
        return t;
    }

    public static Tensor zeros(Device device, long... shape) {
        return full(device, DType.FLOAT32, 0, shape);
    }

    public static Tensor zeros(long... shape) {
        return zeros(Device.CPU, shape);
    }

    public static Tensor zerosLike(Tensor like) {
        return full(like.device(), like.dtype, 0, like.shape);
    }

    public static Tensor scalar(Device device, float value) {
        return full(device, DType.FLOAT32, value, 1);
    }

    public static Tensor of(Device device, float[] data, long... shape) {
        checkLength("Tensor.of", data.length, shape);
        Tensor t = empty(device, DType.FLOAT32, shape);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_FLOAT, data.length);
            MemorySegment.copy(data, 0, host, JAVA_FLOAT, 0, data.length);
            t.write(host);
        }
        return t;
    }

    public static Tensor of(float[] data, long... shape) {
        return of(Device.CPU, data, shape);
    }

    public static Tensor ofBytes(Device device, byte[] data, long... shape) {
        checkLength("Tensor.ofBytes", data.length, shape);
        Tensor t = empty(device, DType.UINT8, shape);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(data.length);
            MemorySegment.copy(data, 0, host, JAVA_BYTE, 0, data.length);
            t.write(host);
        }
        return t;
    }

    public static Tensor ofBytes(byte[] data, long... shape) {
        return ofBytes(Device.CPU, data, shape);
    }

    /** Copies a host segment holding numel(shape) elements of {@code dtype} in native order. */
    public static Tensor fromHost(Device device, DType dtype, MemorySegment host, long... shape) {
        Tensor t = empty(device, dtype, shape);
        if (host.byteSize() != t.byteSize()) {
            throw new IllegalArgumentException("Tensor.fromHost: " + host.byteSize() + " bytes given, shape "
                    + Shapes.str(shape) + " of " + dtype + " needs " + t.byteSize());
        }
        t.write(host);
        return t;
    }

    /** Uniform in [low, high), drawn on the host from {@code rng} in element order. */
    public static Tensor uniform(Device device, Rng rng, double low, double high, long... shape) {
        float[] v = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (low + (high - low) * rng.nextDouble());
        }
        return of(device, v, shape);
    }

    /** Normal with the given mean and standard deviation. */
    public static Tensor normal(Device device, Rng rng, double mean, double std, long... shape) {
        float[] v = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * rng.nextGaussian());
        }
        return of(device, v, shape);
    }

    private static void checkLength(String op, int length, long[] shape) {
        if (length != Shapes.numel(shape)) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + Shapes.str(shape));
        }
    }

    // ---- properties ----

    public long[] shape() {
        return shape.clone();
    }

    public long size(int dim) {
        return shape[Shapes.dim("size", dim, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return storage.backend.device();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * True when this open tensor is the only one on its storage (no view of it, and it is no view
     * of another open tensor), so writing it in place changes no other tensor's values.
     */
    public boolean isSoleHandle() {
        return !closed && storage.hasSingleReference();
    }

    // ---- for the ops of this package ----

    Backend backend() {
        checkOpen();
        return storage.backend;
    }

    Buffer buffer() {
        checkOpen();
        return storage.buffer;
    }

    long offset() {
        return offset;
    }

    long[] shapeRef() {
        return shape;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tensor " + Shapes.str(shape) + " used after close()");
        }
    }

    // ---- host transfer ----

    private void write(MemorySegment host) {
        backend().copyFromHost(host, buffer(), offset * dtype.byteSize());
    }

    /** Copies the contents into {@code host}, which must hold exactly byteSize() bytes. */
    public void copyTo(MemorySegment host) {
        if (host.byteSize() != byteSize()) {
            throw new IllegalArgumentException("copyTo: host segment has " + host.byteSize() + " bytes, tensor "
                    + Shapes.str(shape) + " has " + byteSize());
        }
        backend().copyToHost(buffer(), offset * dtype.byteSize(), host);
    }

    public float[] toFloatArray() {
        requireType("toFloatArray", DType.FLOAT32);
        float[] out = new float[Math.toIntExact(numel())];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_FLOAT, out.length);
            copyTo(host);
            MemorySegment.copy(host, JAVA_FLOAT, 0, out, 0, out.length);
        }
        return out;
    }

    public byte[] toByteArray() {
        requireType("toByteArray", DType.UINT8);
        byte[] out = new byte[Math.toIntExact(numel())];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(out.length);
            copyTo(host);
            MemorySegment.copy(host, JAVA_BYTE, 0, out, 0, out.length);
        }
        return out;
    }

    /** The value of a one-element float tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: tensor of shape " + Shapes.str(shape) + " is not one element");
        }
        return toFloatArray()[0];
    }

    public void requireType(String op, DType expected) {
        if (dtype != expected) {
            throw new IllegalArgumentException(op + ": expected a " + expected + " tensor, got " + dtype + " "
                    + Shapes.str(shape));
        }
    }

    // ---- views and copies ----

    /** The same elements under another shape (one size may be -1); shares storage. */
    public Tensor reshape(long... newShape) {
        long[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && infer < 0) {
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0 && known > 0) {
            s[infer] = numel() / known;
        }
        if (Shapes.numel(Shapes.checkShape(s)) != numel()) {
            throw new IllegalArgumentException("reshape: cannot view " + Shapes.str(shape) + " as " + Shapes.str(newShape));
        }
        return view(offset, s);
    }

    /** Rows [start, end) of the first dim; shares storage. */
    public Tensor slice(long start, long end) {
        if (shape.length == 0 || start < 0 || end > shape[0] || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") is outside dim 0 of "
                    + Shapes.str(shape));
        }
        long[] s = shape.clone();
        s[0] = end - start;
        long row = numel() / Math.max(1, shape[0]);
        return view(offset + start * row, s);
    }

    private Tensor view(long newOffset, long[] newShape) {
        checkOpen();
        storage.retain();
        return new Tensor(storage, newOffset, newShape, dtype);
    }

    /** A new tensor holding the same values. */
    public Tensor copy() {
        Tensor out = emptyLike(this);
        long[] st = Shapes.contiguousStrides(shape);
        backend().copyStrided(dtype, buffer(), offset, st, out.buffer(), 0, st, shape);
        return out;
    }

    /** This tensor's values on {@code target} (a copy, also when the device is the same). */
    public Tensor to(Device target) {
        if (target.equals(device())) {
            return copy();
        }
        Tensor out = empty(target, dtype, shape);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(byteSize(), 64);
            copyTo(host);
            out.write(host);
        }
        return out;
    }

    /** Overwrites this tensor with the values of {@code src} (same shape and type, any device). */
    public void copyFrom(Tensor src) {
        if (!java.util.Arrays.equals(shape, src.shape) || dtype != src.dtype) {
            throw new IllegalArgumentException("copyFrom: source " + src.dtype + " " + Shapes.str(src.shape)
                    + " does not match target " + dtype + " " + Shapes.str(shape));
        }
        if (src.device().equals(device())) {
            long[] st = Shapes.contiguousStrides(shape);
            backend().copyStrided(dtype, src.buffer(), src.offset, st, buffer(), offset, st, shape);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(byteSize(), 64);
                src.copyTo(host);
                write(host);
            }
        }
    }

    /** Releases this tensor's hold on its storage. Safe to call more than once. */
    @Override
    public void close() {
        boolean first;
        synchronized (this) {
            first = !closed;
            closed = true;
        }
        if (first) {
            storage.release();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + " " + Shapes.str(shape) + " on " + device() + (closed ? ", closed" : "") + ")";
    }
}
