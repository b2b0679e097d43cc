// Shared by every kernel file: status recording, the one launch helper, grid sizes, strided indexing
// and the block-level sum. Compiled by nvcc for the GPU, and by g++ with DUCISC_HOST_EMULATION for the
// emulated device (kernels/host_emulation.h; native/build.sh --host).
#pragma once

#include <stdint.h>
#include <stdlib.h>

#ifdef DUCISC_HOST_EMULATION
#include "host_emulation.h"
#else
#include <cuda_runtime.h>
// A kernel's dynamic shared memory (the launch's `shared` bytes) as an array of TYPE.
#define DUCISC_DYNAMIC_SHARED(TYPE, NAME) extern __shared__ TYPE NAME[]
#endif

#include "../native/ducisc_cuda.h"

namespace ducisc {

// Records a failure for ducisc_cuda_last_error() on this thread and returns its status.
int fail(int status, const char *function, const char *what);

inline cudaStream_t asStream(void *stream) {
    return static_cast<cudaStream_t>(stream);
}

// Threads per block of the grid-stride kernels (one thread per element, no cooperation).
constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements: enough to fill any GPU, never more than needed.
inline unsigned gridFor(int64_t n, int threads = kThreads) {
    int64_t blocks = (n + threads - 1) / threads;
    const int64_t cap = 65535LL * 16;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

// ceil(n / per): blocks that cover n items, per items a block (no cap: the caller checks the limit).
inline int64_t blocksFor(int64_t n, int64_t per) {
    return (n + per - 1) / per;
}

// The block shape of a kernel whose threads cooperate (shared memory, __syncthreads, blockSum): such a
// kernel takes a Block<THREADS> as its first parameter, and launchBlocks launches it with exactly
// THREADS threads per block, so the block size is a property of the kernel's type, not of a call site.
template <int THREADS>
struct Block {
    static_assert(THREADS >= 32 && THREADS <= 1024 && (THREADS & (THREADS - 1)) == 0,
                  "a cooperative block is a power of two between 32 and 1024 threads");
    static constexpr int kSize = THREADS;
};

// Set DUCISC_CUDA_SYNC_LAUNCHES=1 to wait for every kernel right after its launch, so that a fault inside
// a kernel is reported under that kernel's launcher name instead of by the next copy or synchronisation.
inline bool syncLaunches() {
    static const bool on = [] {
        const char *v = getenv("DUCISC_CUDA_SYNC_LAUNCHES");
        return v != nullptr && v[0] != '\0' && v[0] != '0';
    }();
    return on;
}

// Launch check: the launch's own error (cudaGetLastError) and, in sync mode, the kernel's execution error,
// both recorded under the launcher's name.
inline int checkLaunch(const char *function, cudaStream_t stream) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess && syncLaunches()) {
        e = cudaStreamSynchronize(stream);
    }
    if (e != cudaSuccess) {
        return fail(static_cast<int>(e), function, cudaGetErrorString(e));
    }
    return 0;
}

// The grid limits every launch is checked against (x up to 2^31 - 1, y and z up to 65535).
inline bool gridFits(int64_t x, int64_t y, int64_t z) {
    return x >= 1 && x <= 0x7fffffffLL && y >= 1 && y <= 65535 && z >= 1 && z <= 65535;
}

// Launches a grid-stride kernel (threads independent) with kThreads threads per block on `stream` and
// checks it under `function`'s name; returns 0 or the failure's status.
template <typename... P, typename... A>
int launch(const char *function, void (*kernel)(P...), int64_t blocks, cudaStream_t stream, A &&...args) {
    if (!gridFits(blocks, 1, 1)) {
        return fail(DUCISC_BAD_ARGUMENT, function, "grid size out of range");
    }
#ifdef DUCISC_HOST_EMULATION
    emulation::run(function, kernel, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), 0, false,
                   static_cast<P>(args)...);
#else
    kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(static_cast<P>(args)...);
#endif
    return checkLaunch(function, stream);
}

// Launches a cooperative kernel (first parameter Block<THREADS>) on grid (x, y, z) with THREADS threads
// per block and `shared` bytes of dynamic shared memory, and checks it under `function`'s name.
template <int THREADS, typename... P, typename... A>
int launchBlocks(const char *function, void (*kernel)(Block<THREADS>, P...), int64_t x, int64_t y, int64_t z,
                 size_t shared, cudaStream_t stream, A &&...args) {
    if (!gridFits(x, y, z)) {
        return fail(DUCISC_BAD_ARGUMENT, function, "grid size out of range");
    }
    dim3 grid(static_cast<unsigned>(x), static_cast<unsigned>(y), static_cast<unsigned>(z));
#ifdef DUCISC_HOST_EMULATION
    emulation::run(function, kernel, grid, dim3(THREADS), shared, true, Block<THREADS>{}, static_cast<P>(args)...);
#else
    kernel<<<grid, THREADS, shared, stream>>>(Block<THREADS>{}, static_cast<P>(args)...);
#endif
    return checkLaunch(function, stream);
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

// Adds one double per thread of the block in a fixed tree order; every thread gets the total. The block
// tag and the scratch array's length are both THREADS, so the tree always spans the launched block.
template <int THREADS>
__device__ double blockSum(Block<THREADS>, double v, double (&scratch)[THREADS]) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (unsigned half = THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            scratch[threadIdx.x] += scratch[threadIdx.x + half];
        }
        __syncthreads();
    }
    double total = scratch[0];
    __syncthreads();
    return total;
}

// Adds N doubles per thread of the block, each over the same fixed tree as blockSum (so each total is
// bitwise blockSum's), with one barrier per tree level for all N together where N calls of blockSum
// would take N times as many; every thread gets the totals.
template <int THREADS, int N>
__device__ void blockSums(Block<THREADS>, const double (&v)[N], double (&scratch)[N][THREADS], double (&total)[N]) {
    for (int k = 0; k < N; k++) {
        scratch[k][threadIdx.x] = v[k];
    }
    __syncthreads();
    for (unsigned half = THREADS / 2; half > 0; half /= 2) {
        for (unsigned e = threadIdx.x; e < N * half; e += THREADS) {
            scratch[e / half][e % half] += scratch[e / half][e % half + half];
        }
        __syncthreads();
    }
    for (int k = 0; k < N; k++) {
        total[k] = scratch[k][0];
    }
    __syncthreads();
}

}  // namespace ducisc
