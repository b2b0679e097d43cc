// The library's status reporting: the last failure's message, per host thread.
#include <stdio.h>

#include "common.cuh"

namespace {
thread_local char lastError[512] = "";
}

namespace ducisc {

int fail(int status, const char *function, const char *what) {
    snprintf(lastError, sizeof lastError, "%s: %s (status %d)", function, what, status);
    return status;
}

}  // namespace ducisc

extern "C" int ducisc_cuda_abi_version(void) {
    return DUCISC_CUDA_ABI_VERSION;
}

extern "C" const char *ducisc_cuda_last_error(void) {
    return lastError;
}
