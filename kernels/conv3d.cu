// conv3d forward and weight gradient over NCDHW float tensors.
// Forward idea: one thread per output position computes kChannelBlock output channels at once
// (each input value loaded once feeds kChannelBlock fmafs); the block's weights for the current
// input channel are staged in shared memory. Direct, no im2col buffer, no workspace.
// Weight-gradient idea: one block per (out channel, in channel) pair; each thread walks a fixed
// stride of the (sample, output position) space and keeps one double accumulator per kernel tap in
// registers (kernel size a template parameter for the V-Net's 3x3x3, 2x2x2 and 1x1x1; other sizes
// take a block per weight element), then fixed-order block trees, all taps level by level
// (ducisc::blockSums: 8 barriers, not 27 x 9): deterministic, no atomics.
#include "conv.cuh"

namespace {

using ducisc::ConvGeo;
using ducisc::kChannelBlock;
using ducisc::kConvThreads;

__global__ void __launch_bounds__(kConvThreads) forwardKernel(ducisc::Block<kConvThreads>, const float *x,
                                                              const float *w, const float *bias, float *y, ConvGeo g) {
    DUCISC_DYNAMIC_SHARED(float, sw);
    const int kvol = g.kvol();
    const int64_t outVol = g.outVol();
    const int64_t inVol = g.inVol();
    const int co0 = blockIdx.y * kChannelBlock;
    const int n = blockIdx.z;
    const int64_t p = blockIdx.x * (int64_t) blockDim.x + threadIdx.x;
    const bool active = p < outVol;
    const int ow = static_cast<int>(p % g.out[2]);
    const int oh = static_cast<int>(p / g.out[2] % g.out[1]);
    const int od = static_cast<int>(p / ((int64_t) g.out[2] * g.out[1]));
    const int d0 = od * g.stride[0] - g.pad[0];
    const int h0 = oh * g.stride[1] - g.pad[1];
    const int w0 = ow * g.stride[2] - g.pad[2];
    float acc[kChannelBlock];
#pragma unroll
    for (int j = 0; j < kChannelBlock; j++) {
        acc[j] = 0.0f;
    }
    const float *xn = x + (int64_t) n * g.cin * inVol;
    for (int ci = 0; ci < g.cin; ci++) {
        __syncthreads();
        for (int e = threadIdx.x; e < kChannelBlock * kvol; e += blockDim.x) {
            int co = co0 + e / kvol;
            sw[e] = co < g.cout ? w[((int64_t) co * g.cin + ci) * kvol + e % kvol] : 0.0f;
        }
        __syncthreads();
        if (!active) {
            continue;
        }
        const float *xc = xn + ci * inVol;
        int kk = 0;
        for (int kd = 0; kd < g.k[0]; kd++) {
            int id = d0 + kd;
            bool dIn = id >= 0 && id < g.in[0];
            for (int kh = 0; kh < g.k[1]; kh++) {
                int ih = h0 + kh;
                bool dhIn = dIn && ih >= 0 && ih < g.in[1];
                for (int kw = 0; kw < g.k[2]; kw++, kk++) {
                    int iw = w0 + kw;
                    if (!dhIn || iw < 0 || iw >= g.in[2]) {
                        continue;
                    }
                    float xv = xc[((int64_t) id * g.in[1] + ih) * g.in[2] + iw];
#pragma unroll
                    for (int j = 0; j < kChannelBlock; j++) {
                        acc[j] = fmaf(xv, sw[j * kvol + kk], acc[j]);
                    }
                }
            }
        }
    }
    if (!active) {
        return;
    }
#pragma unroll
    for (int j = 0; j < kChannelBlock; j++) {
        int co = co0 + j;
        if (co < g.cout) {
            y[((int64_t) n * g.cout + co) * outVol + p] = bias != nullptr ? acc[j] + bias[co] : acc[j];
        }
    }
}

// Writes the weight gradient element from its block total.
__device__ inline void storeWeight(float *gw, int64_t i, double total, int accumulate) {
    gw[i] = static_cast<float>(accumulate ? gw[i] + total : total);
}

// 128 threads: the KV trees of blockSums then fit in static shared memory (27 x 128 doubles = 27 KiB).
constexpr int kWeightThreads = 128;
using WeightBlock = ducisc::Block<kWeightThreads>;

template <int K0, int K1, int K2>
__global__ void __launch_bounds__(kWeightThreads) backwardWeightKernel(WeightBlock block, const float *x,
                                                                       const float *gy, float *gw, ConvGeo g,
                                                                       int accumulate) {
    constexpr int KV = K0 * K1 * K2;
    __shared__ double scratch[KV][kWeightThreads];
    const int co = blockIdx.x / g.cin;
    const int ci = blockIdx.x % g.cin;
    const int64_t outVol = g.outVol();
    const int64_t inVol = g.inVol();
    double acc[KV];
#pragma unroll
    for (int kk = 0; kk < KV; kk++) {
        acc[kk] = 0.0;
    }
    for (int n = 0; n < g.batch; n++) {
        const float *xc = x + ((int64_t) n * g.cin + ci) * inVol;
        const float *gyc = gy + ((int64_t) n * g.cout + co) * outVol;
        for (int64_t p = threadIdx.x; p < outVol; p += blockDim.x) {
            const double gv = gyc[p];
            const int ow = static_cast<int>(p % g.out[2]);
            const int oh = static_cast<int>(p / g.out[2] % g.out[1]);
            const int od = static_cast<int>(p / ((int64_t) g.out[2] * g.out[1]));
#pragma unroll
            for (int kd = 0; kd < K0; kd++) {
                const int id = od * g.stride[0] - g.pad[0] + kd;
#pragma unroll
                for (int kh = 0; kh < K1; kh++) {
                    const int ih = oh * g.stride[1] - g.pad[1] + kh;
#pragma unroll
                    for (int kw = 0; kw < K2; kw++) {
                        const int iw = ow * g.stride[2] - g.pad[2] + kw;
                        if (id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2]) {
                            acc[(kd * K1 + kh) * K2 + kw] += gv * xc[((int64_t) id * g.in[1] + ih) * g.in[2] + iw];
                        }
                    }
                }
            }
        }
    }
    const int64_t base = ((int64_t) co * g.cin + ci) * KV;
    double total[KV];
    ducisc::blockSums(block, acc, scratch, total);
    for (int kk = threadIdx.x; kk < KV; kk += blockDim.x) {
        storeWeight(gw, base + kk, total[kk], accumulate);
    }
}

// Any kernel size: one block per weight element.
__global__ void __launch_bounds__(kWeightThreads) backwardWeightGenericKernel(WeightBlock block, const float *x,
                                                                              const float *gy, float *gw, ConvGeo g,
                                                                              int accumulate) {
    __shared__ double scratch[kWeightThreads];
    const int kvol = g.kvol();
    const int kk = static_cast<int>(blockIdx.x % kvol);
    const int ci = static_cast<int>(blockIdx.x / kvol % g.cin);
    const int co = static_cast<int>(blockIdx.x / kvol / g.cin);
    const int kw = kk % g.k[2];
    const int kh = kk / g.k[2] % g.k[1];
    const int kd = kk / (g.k[2] * g.k[1]);
    const int64_t outVol = g.outVol();
    const int64_t inVol = g.inVol();
    double acc = 0.0;
    for (int n = 0; n < g.batch; n++) {
        const float *xc = x + ((int64_t) n * g.cin + ci) * inVol;
        const float *gyc = gy + ((int64_t) n * g.cout + co) * outVol;
        for (int64_t p = threadIdx.x; p < outVol; p += blockDim.x) {
            const int ow = static_cast<int>(p % g.out[2]);
            const int oh = static_cast<int>(p / g.out[2] % g.out[1]);
            const int od = static_cast<int>(p / ((int64_t) g.out[2] * g.out[1]));
            const int id = od * g.stride[0] - g.pad[0] + kd;
            const int ih = oh * g.stride[1] - g.pad[1] + kh;
            const int iw = ow * g.stride[2] - g.pad[2] + kw;
            if (id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2]) {
                acc += static_cast<double>(gyc[p]) * xc[((int64_t) id * g.in[1] + ih) * g.in[2] + iw];
            }
        }
    }
    double total = ducisc::blockSum(block, acc, scratch);
    if (threadIdx.x == 0) {
        storeWeight(gw, blockIdx.x, total, accumulate);
    }
}

bool kernelIs(const ConvGeo &g, int k0, int k1, int k2) {
    return g.k[0] == k0 && g.k[1] == k1 && g.k[2] == k2;
}

}  // namespace

extern "C" int ducisc_cuda_conv3d_forward(void *stream, const float *x, const float *w, const float *bias, float *y,
                                          const int32_t *geometry) {
    static const char *name = "ducisc_cuda_conv3d_forward";
    ConvGeo g;
    if (!ducisc::parseGeometry(geometry, g)) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "geometry out of the kernels' range");
    }
    int64_t outVol = g.outVol();
    if (outVol == 0 || g.batch == 0 || g.cout == 0) {
        return 0;
    }
    size_t shared = sizeof(float) * kChannelBlock * g.kvol();
    return ducisc::launchBlocks(name, forwardKernel, ducisc::blocksFor(outVol, kConvThreads),
                                ducisc::blocksFor(g.cout, kChannelBlock), g.batch, shared, ducisc::asStream(stream), x,
                                w, bias, y, g);
}

extern "C" int ducisc_cuda_conv3d_backward_weight(void *stream, const float *x, const float *gy, float *gw,
                                                  const int32_t *geometry, int32_t accumulate) {
    static const char *name = "ducisc_cuda_conv3d_backward_weight";
    ConvGeo g;
    if (!ducisc::parseGeometry(geometry, g)) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "geometry out of the kernels' range");
    }
    int64_t pairs = (int64_t) g.cout * g.cin;
    if (pairs == 0) {
        return 0;
    }
    cudaStream_t st = ducisc::asStream(stream);
    if (kernelIs(g, 3, 3, 3)) {
        return ducisc::launchBlocks(name, backwardWeightKernel<3, 3, 3>, pairs, 1, 1, 0, st, x, gy, gw, g, accumulate);
    }
    if (kernelIs(g, 2, 2, 2)) {
        return ducisc::launchBlocks(name, backwardWeightKernel<2, 2, 2>, pairs, 1, 1, 0, st, x, gy, gw, g, accumulate);
    }
    if (kernelIs(g, 1, 1, 1)) {
        return ducisc::launchBlocks(name, backwardWeightKernel<1, 1, 1>, pairs, 1, 1, 0, st, x, gy, gw, g, accumulate);
    }
    return ducisc::launchBlocks(name, backwardWeightGenericKernel, pairs * g.kvol(), 1, 1, 0, st, x, gy, gw, g,
                                accumulate);
}
