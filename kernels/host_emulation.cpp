// The emulated device's runtime (see host_emulation.h): launch lock, block scheduler, fibers for the
// threads of cooperative blocks, error reporting, and the memory entry points for the Java side.
// Built only by native/build.sh --host.
#include "host_emulation.h"

#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <mutex>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define DUCISC_ASAN 1
#else
#define DUCISC_ASAN 0
#endif

uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace {

// One in-order stream per process: launches, copies and memsets never overlap.
std::mutex streamLock;

thread_local cudaError_t lastError = cudaSuccess;
thread_local char lastMessage[512] = "";

void record(cudaError_t error, const char *function, const char *what) {
    if (lastError == cudaSuccess) {
        lastError = error;
        snprintf(lastMessage, sizeof lastMessage, "%s (emulated device: %s)", what, function);
    }
}

// Stack of one fiber: generous for the kernels' locals (a few hundred bytes) and AddressSanitizer's redzones.
constexpr size_t kStackBytes = DUCISC_ASAN ? 256 * 1024 : 64 * 1024;

// A fiber runs the threads with one index of every cooperative block, for the life of the process: it
// is started once (makecontext), then switched with _setjmp/_longjmp, which save and restore registers
// only (swapcontext would also make a signal-mask system call per switch). Under AddressSanitizer the
// switches are swapcontext with the sanitizer's fiber annotations, which it understands fully.
struct Fiber {
    ucontext_t context;
    jmp_buf jump;
    void *stack = nullptr;
    bool started = false;
    bool done = false;
};

// The launch in progress (only one at a time, under streamLock).
struct Launch {
    const char *function = "";
    bool cooperative = false;
    void (*thread)(void *) = nullptr;
    void *closure = nullptr;
    void *shared = nullptr;
    std::vector<Fiber *> fibers;
    ucontext_t schedulerContext;
    jmp_buf schedulerJump;
    int current = 0;
#if DUCISC_ASAN
    const void *schedulerStack = nullptr;
    size_t schedulerStackSize = 0;
#endif
} launch;

void setThreadIndex(unsigned t) {
    threadIdx = dim3(t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y));
}

// Fiber -> scheduler; returns when the scheduler resumes this fiber.
void toScheduler() {
    Fiber &f = *launch.fibers[launch.current];
#if DUCISC_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, launch.schedulerStack, launch.schedulerStackSize);
    swapcontext(&f.context, &launch.schedulerContext);
    __sanitizer_finish_switch_fiber(fake, &launch.schedulerStack, &launch.schedulerStackSize);
#else
    if (_setjmp(f.jump) == 0) {
        _longjmp(launch.schedulerJump, 1);
    }
#endif
}

// Each pass of the loop is one thread of one block; between passes the fiber waits, marked done.
void fiberMain() {
#if DUCISC_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &launch.schedulerStack, &launch.schedulerStackSize);
#endif
    for (;;) {
        launch.thread(launch.closure);
        launch.fibers[launch.current]->done = true;
        toScheduler();
    }
}

// Scheduler -> fiber t, until it reaches a barrier or finishes its thread.
void resume(int t) {
    launch.current = t;
    setThreadIndex(static_cast<unsigned>(t));
    Fiber &f = *launch.fibers[t];
#if DUCISC_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f.stack, kStackBytes);
    swapcontext(&launch.schedulerContext, &f.context);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
    f.started = true;
#else
    if (_setjmp(launch.schedulerJump) == 0) {
        if (f.started) {
            _longjmp(f.jump, 1);
        }
        f.started = true;
        ucontext_t here;
        swapcontext(&here, &f.context);  // first entry only; fiberMain leaves through schedulerJump
    }
#endif
}

void runCooperativeBlock(int threads) {
    while (static_cast<int>(launch.fibers.size()) < threads) {
        Fiber *f = new Fiber();
        f->stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (f->stack == MAP_FAILED) {
            fprintf(stderr, "host emulation: no memory for a fiber stack\n");
            abort();
        }
        getcontext(&f->context);
        f->context.uc_stack.ss_sp = f->stack;
        f->context.uc_stack.ss_size = kStackBytes;
        f->context.uc_link = nullptr;
        makecontext(&f->context, fiberMain, 0);
        launch.fibers.push_back(f);
    }
    for (int t = 0; t < threads; t++) {
        launch.fibers[t]->done = false;
    }
    // Each round runs every live thread up to its next barrier (or its end); after a round every live
    // thread waits at the same barrier, which the next round releases.
    for (;;) {
        for (int t = 0; t < threads; t++) {
            if (!launch.fibers[t]->done) {
                resume(t);
            }
        }
        int done = 0;
        for (int t = 0; t < threads; t++) {
            done += launch.fibers[t]->done ? 1 : 0;
        }
        if (done == threads) {
            return;
        }
        if (done > 0) {
            record(cudaErrorLaunchFailure, launch.function,
                   "barrier divergence: some threads of a block exited while others wait at __syncthreads");
        }
    }
}

}  // namespace

namespace ducisc {
namespace emulation {

void *dynamicShared() {
    return launch.shared;
}

void barrier() {
    if (!launch.cooperative) {
        record(cudaErrorLaunchFailure, launch.function,
               "__syncthreads in a kernel launched as grid-stride (launch it with ducisc::launchBlocks)");
        return;
    }
    toScheduler();
}

void runGrid(const char *function, dim3 grid, dim3 block, size_t shared, bool cooperative, void (*thread)(void *),
             void *closure) {
    const unsigned long long threads = (unsigned long long) block.x * block.y * block.z;
    if (threads == 0 || threads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || shared > 48 * 1024) {
        record(cudaErrorInvalidConfiguration, function, "invalid configuration argument");
        return;
    }
    std::lock_guard<std::mutex> hold(streamLock);
    launch.function = function;
    launch.cooperative = cooperative;
    launch.thread = thread;
    launch.closure = closure;
    launch.shared = shared > 0 ? malloc(shared) : nullptr;
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; z++) {
        for (unsigned y = 0; y < grid.y; y++) {
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = dim3(x, y, z);
                if (cooperative) {
                    runCooperativeBlock(static_cast<int>(threads));
                } else {
                    for (unsigned t = 0; t < threads; t++) {
                        setThreadIndex(t);
                        thread(closure);
                    }
                }
            }
        }
    }
    free(launch.shared);
    launch.shared = nullptr;
}

}  // namespace emulation
}  // namespace ducisc

cudaError_t cudaGetLastError() {
    cudaError_t e = lastError;
    lastError = cudaSuccess;
    return e;
}

const char *cudaGetErrorString(cudaError_t error) {
    return error == cudaSuccess ? "no error" : lastMessage;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) {
    return cudaSuccess;  // every launch has finished when it returns; its errors are already recorded
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind, cudaStream_t) {
    std::lock_guard<std::mutex> hold(streamLock);
    memcpy(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t) {
    std::lock_guard<std::mutex> hold(streamLock);
    memset(dst, value, bytes);
    return cudaSuccess;
}

namespace {
constexpr unsigned char kGuardByte = 0xA5;
}

extern "C" int ducisc_emu_sanitized(void) {
    return DUCISC_ASAN;
}

extern "C" void *ducisc_emu_alloc(int64_t bytes) {
    return bytes < 0 ? nullptr : malloc(bytes > 0 ? static_cast<size_t>(bytes) : 1);
}

extern "C" void ducisc_emu_free(void *p) {
    free(p);
}

extern "C" void ducisc_emu_hand_out(void *p, int64_t requested, int64_t capacity) {
    std::lock_guard<std::mutex> hold(streamLock);
    char *base = static_cast<char *>(p);
#if DUCISC_ASAN
    ASAN_UNPOISON_MEMORY_REGION(base, requested);
    ASAN_POISON_MEMORY_REGION(base + requested, capacity - requested);
#else
    memset(base + requested, kGuardByte, static_cast<size_t>(capacity - requested));
#endif
}

extern "C" int64_t ducisc_emu_take_back(void *p, int64_t requested, int64_t capacity) {
    std::lock_guard<std::mutex> hold(streamLock);
    const unsigned char *base = static_cast<const unsigned char *>(p);
#if DUCISC_ASAN
    (void) base;
    // A cached block is not the caller's any more: any access until it is handed out again is reported.
    ASAN_POISON_MEMORY_REGION(p, capacity);
    (void) requested;
    return -1;
#else
    for (int64_t i = requested; i < capacity; i++) {
        if (base[i] != kGuardByte) {
            return i;
        }
    }
    return -1;
#endif
}

extern "C" void ducisc_emu_copy(void *dst, const void *src, int64_t bytes) {
    std::lock_guard<std::mutex> hold(streamLock);
    memcpy(dst, src, static_cast<size_t>(bytes));
}

extern "C" void ducisc_emu_fill32(void *dst, uint32_t bits, int64_t count) {
    std::lock_guard<std::mutex> hold(streamLock);
    uint32_t *d = static_cast<uint32_t *>(dst);
    for (int64_t i = 0; i < count; i++) {
        d[i] = bits;
    }
}

extern "C" void ducisc_emu_fill8(void *dst, uint8_t value, int64_t count) {
    std::lock_guard<std::mutex> hold(streamLock);
    memset(dst, value, static_cast<size_t>(count));
}
