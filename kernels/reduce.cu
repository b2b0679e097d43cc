// Sums over any set of dims of a contiguous float tensor.
// Idea: many summed elements per output -> one block per output, each thread adds a fixed
// stride of the reduced index space in double, then a fixed-order tree in shared memory; few
// summed elements -> one thread per output. Both orders depend on the sizes alone: deterministic.
#include "common.cuh"

namespace {

using ducisc::Strided;

// Below this many summed elements per output a whole block per output would idle.
constexpr int64_t kThreadPerOutputMax = 64;

__global__ void sumBlockPerOutput(ducisc::Block<ducisc::kThreads> block, const float *x, Strided<1> kept,
                                  Strided<1> reduced, int64_t outputs, int64_t summed, float *out) {
    __shared__ double scratch[ducisc::kThreads];
    for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
        const float *base = x + kept.offset(0, o);
        double acc = 0.0;
        for (int64_t r = threadIdx.x; r < summed; r += blockDim.x) {
            acc += base[reduced.offset(0, r)];
        }
        double total = ducisc::blockSum(block, acc, scratch);
        if (threadIdx.x == 0) {
            out[o] = static_cast<float>(total);
        }
    }
}

__global__ void sumThreadPerOutput(const float *x, Strided<1> kept, Strided<1> reduced, int64_t outputs,
                                   int64_t summed, float *out) {
    for (int64_t o = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; o < outputs;
         o += (int64_t) gridDim.x * blockDim.x) {
        const float *base = x + kept.offset(0, o);
        double acc = 0.0;
        for (int64_t r = 0; r < summed; r++) {
            acc += base[reduced.offset(0, r)];
        }
        out[o] = static_cast<float>(acc);
    }
}

}  // namespace

extern "C" int ducisc_cuda_sum(void *stream, const float *x, const int64_t *shape, const int32_t *reduce,
                               int32_t rank, float *out) {
    static const char *name = "ducisc_cuda_sum";
    if (rank < 0 || rank > DUCISC_MAX_RANK) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "rank above DUCISC_MAX_RANK");
    }
    Strided<1> kept = {};
    Strided<1> reduced = {};
    int64_t outputs = 1;
    int64_t summed = 1;
    int64_t stride = 1;
    int64_t keptStride[DUCISC_MAX_RANK];
    int64_t reducedStride[DUCISC_MAX_RANK];
    int64_t keptShape[DUCISC_MAX_RANK];
    int64_t reducedShape[DUCISC_MAX_RANK];
    int keptRank = 0;
    int reducedRank = 0;
    // Walk dims innermost first to get contiguous strides, then store them outermost first.
    int64_t strides[DUCISC_MAX_RANK];
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = stride;
        stride *= shape[d];
    }
    for (int d = 0; d < rank; d++) {
        if (reduce[d]) {
            reducedShape[reducedRank] = shape[d];
            reducedStride[reducedRank++] = strides[d];
            summed *= shape[d];
        } else {
            keptShape[keptRank] = shape[d];
            keptStride[keptRank++] = strides[d];
            outputs *= shape[d];
        }
    }
    const int64_t *ks[1] = {keptStride};
    const int64_t *rs[1] = {reducedStride};
    int64_t count;
    ducisc::makeStrided(kept, keptShape, ks, keptRank, count);
    ducisc::makeStrided(reduced, reducedShape, rs, reducedRank, count);
    if (outputs == 0) {
        return 0;
    }
    cudaStream_t st = ducisc::asStream(stream);
    if (summed <= kThreadPerOutputMax) {
        return ducisc::launch(name, sumThreadPerOutput, ducisc::gridFor(outputs), st, x, kept, reduced, outputs, summed,
                              out);
    }
    return ducisc::launchBlocks(name, sumBlockPerOutput, ducisc::gridFor(outputs, 1), 1, 1, 0, st, x, kept, reduced,
                                outputs, summed, out);
}
