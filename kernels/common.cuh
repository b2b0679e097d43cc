// Shared by every kernel file: status recording, launch checks, grid sizes and strided indexing.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#include "../native/ducisc_cuda.h"

namespace ducisc {

// Records a failure for ducisc_cuda_last_error() on this thread and returns its status.
int fail(int status, const char *function, const char *what);

// Checks the launch that just happened (cudaGetLastError) and records a failure under function's name.
inline int checkLaunch(const char *function) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        return fail(static_cast<int>(e), function, cudaGetErrorString(e));
    }
    return 0;
}

inline cudaStream_t asStream(void *stream) {
    return static_cast<cudaStream_t>(stream);
}

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements: enough to fill any GPU, never more than needed.
inline unsigned gridFor(int64_t n, int threads = kThreads) {
    int64_t blocks = (n + threads - 1) / threads;
    const int64_t cap = 65535LL * 16;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

// Shape and per-operand strides of a strided op, passed to kernels by value.
template <int OPERANDS>
struct Strided {
    int rank;
    int64_t shape[DUCISC_MAX_RANK];
    int64_t stride[OPERANDS][DUCISC_MAX_RANK];

    // Offset of operand o at linear (row-major) index i of shape.
    __device__ int64_t offset(int o, int64_t i) const {
        int64_t off = 0;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t k = i % shape[d];
            i /= shape[d];
            off += k * stride[o][d];
        }
        return off;
    }
};

// Copies host shape and stride arrays into a Strided; false if the rank is not supported.
template <int OPERANDS>
bool makeStrided(Strided<OPERANDS> &s, const int64_t *shape, const int64_t *const strides[OPERANDS], int rank,
                 int64_t &count) {
    if (rank < 0 || rank > DUCISC_MAX_RANK) {
        return false;
    }
    s.rank = rank;
    count = 1;
    for (int d = 0; d < rank; d++) {
        s.shape[d] = shape[d];
        count *= shape[d];
        for (int o = 0; o < OPERANDS; o++) {
            s.stride[o][d] = strides[o][d];
        }
    }
    return true;
}

// Adds one double per thread of a block in a fixed tree order; every thread gets the total.
template <int THREADS>
__device__ double blockSum(double v, double *scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            scratch[threadIdx.x] += scratch[threadIdx.x + half];
        }
        __syncthreads();
    }
    double total = scratch[0];
    __syncthreads();
    return total;
}

}  // namespace ducisc
