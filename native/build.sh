#!/usr/bin/env bash
# Builds libducisc_cuda.so from kernels/*.cu: the CUDA backend's kernels, with the CUDA runtime
# linked statically, for sm_80 and sm_90 plus compute_90 PTX (newer GPUs JIT it).
#
#   native/build.sh [OUT_DIR]            # default target/native; NVCC=/path/to/nvcc to override
#   RESOURCE_USAGE=1 native/build.sh     # also prints registers / shared memory per kernel
#   native/build.sh --host [OUT_DIR]     # the emulated device: g++ builds the same kernels/*.cu against
#                                        # kernels/host_emulation.h into libducisc_cuda_host.so and, with
#                                        # AddressSanitizer, libducisc_cuda_host_asan.so (no nvcc, no GPU;
#                                        # CXX=/path/to/g++ to override)
#
# Without nvcc the GPU build prints one line and exits 0, so the CPU build never depends on it.
# Compiled with --fmad=false: a*b+c rounds twice as in Java, and fmaf() appears exactly where the
# CPU backend calls Math.fma, which is what keeps the two backends' results comparable at 1e-4.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--host" ]; then
    # -ffp-contract=off: a*b+c rounds twice, fmaf() is the only fused operation (nvcc's --fmad=false);
    # -U_FORTIFY_SOURCE: the fibers of host_emulation.cpp longjmp between stacks, which fortify refuses.
    CXX="${CXX:-g++}"
    OUT="${2:-target/native}"
    if ! command -v "$CXX" > /dev/null; then
        echo "native/build.sh --host: $CXX not found: install g++ (Debian: apt-get install g++)" >&2
        exit 1
    fi
    HOST_SOURCES=(kernels/*.cu)
    HOST_FLAGS=(-std=c++17 -fPIC -shared -pthread -ffp-contract=off -U_FORTIFY_SOURCE -Wall -Werror -Wno-unknown-pragmas
                -DDUCISC_HOST_EMULATION -x c++ "${HOST_SOURCES[@]}" -x none kernels/host_emulation.cpp)
    mkdir -p "$OUT"
    build_host() {  # LIBRARY FLAGS...: rebuilt only when a source is newer
        local lib="$1"
        shift
        if [ -f "$lib" ] && [ -z "$(find kernels native/ducisc_cuda.h native/build.sh -newer "$lib" -print -quit)" ]; then
            return 0
        fi
        "$CXX" "${HOST_FLAGS[@]}" "$@" -o "$lib.tmp"
        mv "$lib.tmp" "$lib"
        echo "native/build.sh: built $lib"
    }
    build_host "$OUT/libducisc_cuda_host.so" -O2 &
    plain=$!
    # Use-after-scope checks off: they misread the scheduler's frames across fiber switches (false reports).
    build_host "$OUT/libducisc_cuda_host_asan.so" -O1 -g -fsanitize=address -fno-sanitize-address-use-after-scope \
        -fno-omit-frame-pointer
    wait "$plain"
    exit 0
fi
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
OUT="${1:-target/native}"
if [ ! -x "$NVCC" ]; then
    echo "native/build.sh: nvcc not found (set NVCC or install CUDA); skipping the CUDA kernels"
    exit 0
fi
LIB="$OUT/libducisc_cuda.so"
SOURCES=(kernels/*.cu)
# Up to date: nothing to do.
if [ -f "$LIB" ] && [ -z "$(find kernels native/ducisc_cuda.h native/build.sh -newer "$LIB" -print -quit)" ]; then
    exit 0
fi
mkdir -p "$OUT/obj"
FLAGS=(-std=c++17 -O3 --fmad=false -Xcompiler -fPIC,-Wall -Werror all-warnings
       -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
       -gencode arch=compute_90,code=compute_90)
if [ "${RESOURCE_USAGE:-0}" = 1 ]; then
    FLAGS+=(--resource-usage)
fi
OBJECTS=()
PIDS=()
JOBS="${JOBS:-$(nproc)}"
for src in "${SOURCES[@]}"; do
    obj="$OUT/obj/$(basename "${src%.cu}").o"
    OBJECTS+=("$obj")
    "$NVCC" "${FLAGS[@]}" -c "$src" -o "$obj" &
    PIDS+=($!)
    if [ "${#PIDS[@]}" -ge "$JOBS" ]; then
        wait "${PIDS[0]}"
        PIDS=("${PIDS[@]:1}")
    fi
done
for pid in "${PIDS[@]}"; do
    wait "$pid"
done
"$NVCC" -shared -cudart static -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_90,code=compute_90 "${OBJECTS[@]}" -o "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
echo "native/build.sh: built $LIB"
