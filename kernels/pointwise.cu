// Elementwise kernels: strided copy, casts, unary and binary maps, comparisons.
// Idea: one thread per output element in a grid-stride loop; strided operands decode the linear
// index through Strided::offset. Transcendentals run in double and round once, like Java's
// (float) Math.exp(x), so results match the CPU backend to the last bit or nearly.
#include "common.cuh"

namespace {

using ducisc::Strided;

template <typename T>
__global__ void copyStridedKernel(const T *src, T *dst, Strided<2> s, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < count;
         i += (int64_t) gridDim.x * blockDim.x) {
        dst[s.offset(0, i)] = src[s.offset(1, i)];
    }
}

__global__ void castF32U8Kernel(const float *src, uint8_t *dst, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
        float v = src[i];
        dst[i] = !(v > 0.0f) ? 0 : static_cast<uint8_t>(static_cast<int>(fminf(255.0f, v)));
    }
}

__global__ void castU8F32Kernel(const uint8_t *src, float *dst, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
        dst[i] = static_cast<float>(src[i]);
    }
}

// Java's Math.max / Math.min for floats: NaN wins.
__device__ inline float javaMax(float a, float b) {
    return a != a ? a : (b != b ? b : fmaxf(a, b));
}

__device__ inline float javaMin(float a, float b) {
    return a != a ? a : (b != b ? b : fminf(a, b));
}

__device__ inline float unaryOp(int op, float x, float a, float b) {
    switch (op) {
        case DUCISC_UNARY_AFFINE: return fmaf(x, a, b);
        case DUCISC_UNARY_EXP: return static_cast<float>(exp(static_cast<double>(x)));
        case DUCISC_UNARY_LOG: return static_cast<float>(log(static_cast<double>(x)));
        case DUCISC_UNARY_POW: return static_cast<float>(pow(static_cast<double>(x), static_cast<double>(a)));
        case DUCISC_UNARY_CLAMP: return javaMin(javaMax(x, a), b);
        case DUCISC_UNARY_INSIDE: return (x >= a && x <= b) ? 1.0f : 0.0f;
        case DUCISC_UNARY_RELU: return javaMax(x, 0.0f);
        case DUCISC_UNARY_XLOGX:
            return x == 0.0f ? 0.0f : static_cast<float>(static_cast<double>(x) * log(static_cast<double>(x)));
        default: return static_cast<float>(log(static_cast<double>(x)) + 1.0);  // DUCISC_UNARY_XLOGX_GRAD
    }
}

__global__ void unaryKernel(int op, const float *x, float *y, int64_t n, float a, float b) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
        y[i] = unaryOp(op, x[i], a, b);
    }
}

__device__ inline float binaryOp(int op, float a, float b) {
    switch (op) {
        case DUCISC_BINARY_ADD: return a + b;
        case DUCISC_BINARY_SUB: return a - b;
        case DUCISC_BINARY_MUL: return a * b;
        case DUCISC_BINARY_DIV: return a / b;
        default: return b > 0.0f ? a : 0.0f;  // DUCISC_BINARY_RELU_GRAD
    }
}

// Operands 0 and 1 are the inputs; the output is contiguous, so its offset is the linear index.
__global__ void binaryKernel(int op, const float *a, const float *b, float *out, Strided<2> s, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < count;
         i += (int64_t) gridDim.x * blockDim.x) {
        out[i] = binaryOp(op, a[s.offset(0, i)], b[s.offset(1, i)]);
    }
}

__device__ inline bool compareOp(int op, float a, float b) {
    switch (op) {
        case DUCISC_COMPARE_GT: return a > b;
        case DUCISC_COMPARE_GE: return a >= b;
        case DUCISC_COMPARE_LT: return a < b;
        case DUCISC_COMPARE_LE: return a <= b;
        case DUCISC_COMPARE_EQ: return a == b;
        default: return a != b;  // DUCISC_COMPARE_NE
    }
}

template <typename In, typename Out>
__global__ void compareKernel(int op, const In *a, const In *b, Out *out, Strided<2> s, int64_t count) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < count;
         i += (int64_t) gridDim.x * blockDim.x) {
        bool r = compareOp(op, static_cast<float>(a[s.offset(0, i)]), static_cast<float>(b[s.offset(1, i)]));
        out[i] = static_cast<Out>(r ? 1 : 0);
    }
}

template <typename In, typename Out>
int launchCompare(const char *name, cudaStream_t stream, int op, const void *a, const void *b, void *out,
                  const Strided<2> &s, int64_t count) {
    return ducisc::launch(name, compareKernel<In, Out>, ducisc::gridFor(count), stream, op,
                          static_cast<const In *>(a), static_cast<const In *>(b), static_cast<Out *>(out), s, count);
}

}  // namespace

extern "C" int ducisc_cuda_copy_strided(void *stream, int32_t elem_size, const void *src,
                                        const int64_t *src_strides, void *dst, const int64_t *dst_strides,
                                        const int64_t *shape, int32_t rank) {
    static const char *name = "ducisc_cuda_copy_strided";
    Strided<2> s;
    int64_t count;
    const int64_t *strides[2] = {dst_strides, src_strides};
    if (!ducisc::makeStrided(s, shape, strides, rank, count) || (elem_size != 1 && elem_size != 4)) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "rank above DUCISC_MAX_RANK or element size not 1 or 4");
    }
    if (count == 0) {
        return 0;
    }
    // Both operands contiguous (dims of size 1 aside): one plain device-to-device copy.
    bool contiguous = true;
    int64_t step = 1;
    for (int d = rank - 1; d >= 0 && contiguous; d--) {
        contiguous = shape[d] == 1 || (src_strides[d] == step && dst_strides[d] == step);
        step *= shape[d];
    }
    if (contiguous) {
        cudaError_t e = cudaMemcpyAsync(dst, src, count * elem_size, cudaMemcpyDeviceToDevice, ducisc::asStream(stream));
        return e == cudaSuccess ? 0 : ducisc::fail(static_cast<int>(e), name, cudaGetErrorString(e));
    }
    if (elem_size == 4) {
        return ducisc::launch(name, copyStridedKernel<float>, ducisc::gridFor(count), ducisc::asStream(stream),
                              static_cast<const float *>(src), static_cast<float *>(dst), s, count);
    }
    return ducisc::launch(name, copyStridedKernel<uint8_t>, ducisc::gridFor(count), ducisc::asStream(stream),
                          static_cast<const uint8_t *>(src), static_cast<uint8_t *>(dst), s, count);
}

extern "C" int ducisc_cuda_cast_f32_u8(void *stream, const float *src, uint8_t *dst, int64_t n) {
    if (n == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_cast_f32_u8", castF32U8Kernel, ducisc::gridFor(n), ducisc::asStream(stream),
                          src, dst, n);
}

extern "C" int ducisc_cuda_cast_u8_f32(void *stream, const uint8_t *src, float *dst, int64_t n) {
    if (n == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_cast_u8_f32", castU8F32Kernel, ducisc::gridFor(n), ducisc::asStream(stream),
                          src, dst, n);
}

extern "C" int ducisc_cuda_unary(void *stream, int32_t op, const float *x, float *y, int64_t n, float a, float b) {
    static const char *name = "ducisc_cuda_unary";
    if (op < DUCISC_UNARY_AFFINE || op > DUCISC_UNARY_XLOGX_GRAD) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "unknown unary op code");
    }
    if (n == 0) {
        return 0;
    }
    return ducisc::launch(name, unaryKernel, ducisc::gridFor(n), ducisc::asStream(stream), op, x, y, n, a, b);
}

extern "C" int ducisc_cuda_binary(void *stream, int32_t op, const float *a, const int64_t *a_strides,
                                  const float *b, const int64_t *b_strides, float *out, const int64_t *shape,
                                  int32_t rank) {
    static const char *name = "ducisc_cuda_binary";
    if (rank < 0 || rank > DUCISC_MAX_RANK || op < DUCISC_BINARY_ADD || op > DUCISC_BINARY_RELU_GRAD) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "rank above DUCISC_MAX_RANK or unknown binary op code");
    }
    Strided<2> s;
    int64_t count;
    const int64_t *strides[2] = {a_strides, b_strides};
    ducisc::makeStrided(s, shape, strides, rank, count);
    if (count == 0) {
        return 0;
    }
    return ducisc::launch(name, binaryKernel, ducisc::gridFor(count), ducisc::asStream(stream), op, a, b, out, s,
                          count);
}

extern "C" int ducisc_cuda_compare(void *stream, int32_t op, int32_t in_u8, const void *a, const int64_t *a_strides,
                                   const void *b, const int64_t *b_strides, int32_t out_u8, void *out,
                                   const int64_t *shape, int32_t rank) {
    static const char *name = "ducisc_cuda_compare";
    if (rank < 0 || rank > DUCISC_MAX_RANK || op < DUCISC_COMPARE_GT || op > DUCISC_COMPARE_NE) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "rank above DUCISC_MAX_RANK or unknown compare op code");
    }
    Strided<2> s;
    int64_t count;
    const int64_t *strides[2] = {a_strides, b_strides};
    ducisc::makeStrided(s, shape, strides, rank, count);
    if (count == 0) {
        return 0;
    }
    cudaStream_t st = ducisc::asStream(stream);
    if (in_u8) {
        return out_u8 ? launchCompare<uint8_t, uint8_t>(name, st, op, a, b, out, s, count)
                      : launchCompare<uint8_t, float>(name, st, op, a, b, out, s, count);
    }
    return out_u8 ? launchCompare<float, uint8_t>(name, st, op, a, b, out, s, count)
                  : launchCompare<float, float>(name, st, op, a, b, out, s, count);
}
