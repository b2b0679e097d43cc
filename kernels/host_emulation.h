// The emulated CUDA device: what the kernels in kernels/*.cu need from CUDA, for g++ on the host
// (native/build.sh --host compiles the same sources with -DDUCISC_HOST_EMULATION, the way nvcc's old
// device-emulation mode ran them). Semantics:
// - a launch runs to completion before it returns, under one lock (one in-order stream per process);
// - blocks run one after another; the threads of a grid-stride block (ducisc::launch) one after
//   another; the threads of a cooperative block (ducisc::launchBlocks) as fibers on one host thread,
//   switched only at __syncthreads, which is a real barrier: every thread of the block reaches it
//   before any passes it, and a thread that exits while others wait is reported as barrier
//   divergence. Results are deterministic: the kernels use no float atomics;
// - __shared__ is one copy per kernel (blocks never overlap); dynamic shared memory is a fresh
//   heap block of exactly the launch's size, so AddressSanitizer sees overruns of it;
// - device memory is host memory (ducisc_emu_* below), copies and memsets are memcpy / memset;
// - built with -ffp-contract=off, so a*b+c rounds twice and fmaf is the only fused operation, as in
//   the nvcc build's --fmad=false.
// The runtime behind these declarations is kernels/host_emulation.cpp.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __launch_bounds__(...)
#define __shared__ static
#define DUCISC_DYNAMIC_SHARED(TYPE, NAME) TYPE *NAME = static_cast<TYPE *>(::ducisc::emulation::dynamicShared())

struct dim3 {
    unsigned x;
    unsigned y;
    unsigned z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

// The built-in index variables of the thread that runs now.
extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind { cudaMemcpyDeviceToDevice = 3 };
using cudaStream_t = void *;

cudaError_t cudaGetLastError();
const char *cudaGetErrorString(cudaError_t error);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream);

// CUDA's device-side integer min/max overloads.
inline int min(int a, int b) {
    return a < b ? a : b;
}
inline int max(int a, int b) {
    return a > b ? a : b;
}

// The launches are serialised, so the atomics are plain read-modify-writes.
inline unsigned long long atomicMin(unsigned long long *address, unsigned long long value) {
    unsigned long long old = *address;
    if (value < old) {
        *address = value;
    }
    return old;
}

namespace ducisc {
namespace emulation {

// The current launch's dynamic shared memory.
void *dynamicShared();

// __syncthreads: switches to the next thread of the block; returns when all of them have arrived.
void barrier();

// Runs a grid: thread(closure) once per thread with the index variables set (see the top of this file).
// Failures (a bad configuration, a barrier in a grid-stride kernel, barrier divergence) are reported by
// the next cudaGetLastError, with cudaGetErrorString naming function and cause.
void runGrid(const char *function, dim3 grid, dim3 block, size_t shared, bool cooperative, void (*thread)(void *),
             void *closure);

template <typename... P>
void run(const char *function, void (*kernel)(P...), dim3 grid, dim3 block, size_t shared, bool cooperative,
         P... args) {
    std::tuple<void (*)(P...), P...> call{kernel, args...};
    runGrid(function, grid, block, shared, cooperative,
            [](void *c) {
                std::apply([](auto k, auto... a) { k(a...); }, *static_cast<decltype(call) *>(c));
            },
            &call);
}

}  // namespace emulation
}  // namespace ducisc

inline void __syncthreads() {
    ducisc::emulation::barrier();
}

// The emulated device's memory, for the Java side (org.ducisc.backend.cuda.EmulatedDevice). Pointers are
// host addresses; every function takes the launch lock, so copies are ordered with the kernels.
extern "C" {
/* 1 when this library was built with AddressSanitizer, else 0. */
int ducisc_emu_sanitized(void);
/* A fresh block of exactly `bytes` bytes (malloc, so AddressSanitizer knows its bounds), or NULL. */
void *ducisc_emu_alloc(int64_t bytes);
void ducisc_emu_free(void *p);
/*
 * A block of `capacity` bytes is handed out for `requested` of them: bytes [requested, capacity) become a
 * guard, poisoned under AddressSanitizer, else filled with 0xA5 and checked when the block comes back.
 */
void ducisc_emu_hand_out(void *p, int64_t requested, int64_t capacity);
/* The block comes back: -1 if its guard is intact, else the offset of the first byte written past requested. */
int64_t ducisc_emu_take_back(void *p, int64_t requested, int64_t capacity);
void ducisc_emu_copy(void *dst, const void *src, int64_t bytes);
void ducisc_emu_fill32(void *dst, uint32_t bits, int64_t count);
void ducisc_emu_fill8(void *dst, uint8_t value, int64_t count);
}
