#!/usr/bin/env bash
# The CUDA suite on the emulated device's AddressSanitizer build (target/native/libducisc_cuda_host_asan.so,
# made by native/build.sh --host): every kernel and copy is checked byte for byte against the buffer
# it was given (and against freed and cached blocks), the way compute-sanitizer's memcheck checks a GPU.
# A fault aborts the test JVM with ASan's report on stderr, which fails the run.
#   native/asan-test.sh [TEST CLASSES]    default CudaBackendTest (about a minute); mvn options after them
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS="${1:-CudaBackendTest}"
shift || true
RUNTIME="$("${CXX:-g++}" -print-file-name=libasan.so)"
[ -f "$RUNTIME" ] || { echo "native/asan-test.sh: no AddressSanitizer runtime (libasan.so) for ${CXX:-g++}"; exit 1; }
exec mvn -B -Pcuda-asan -Dducisc.asan.runtime="$RUNTIME" test -Dtest="$TESTS" "$@"
