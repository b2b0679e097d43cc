// conv3d data gradient, which is also the forward of the transposed convolution (the V-Net's
// up-convolutions), over NCDHW float tensors.
// Idea: gather, not scatter: one thread per INPUT position computes kChannelBlock input channels,
// visiting for each output channel the kernel taps whose output position lands on it
// ((i + pad - k) divisible by the stride and inside the output); the weights of one output channel
// for the block's input channels are staged in shared memory. Every gradient element is written by
// one thread: no atomics, no zeroing pass.
#include "conv.cuh"

namespace {

using ducisc::ConvGeo;
using ducisc::kChannelBlock;
using ducisc::kConvThreads;

__global__ void __launch_bounds__(kConvThreads) backwardDataKernel(ducisc::Block<kConvThreads>, const float *gy,
                                                                   const float *w, float *gx, ConvGeo g) {
    DUCISC_DYNAMIC_SHARED(float, sw);
    const int kvol = g.kvol();
    const int64_t outVol = g.outVol();
    const int64_t inVol = g.inVol();
    const int ci0 = blockIdx.y * kChannelBlock;
    const int n = blockIdx.z;
    const int64_t p = blockIdx.x * (int64_t) blockDim.x + threadIdx.x;
    const bool active = p < inVol;
    const int iw = static_cast<int>(p % g.in[2]);
    const int ih = static_cast<int>(p / g.in[2] % g.in[1]);
    const int id = static_cast<int>(p / ((int64_t) g.in[2] * g.in[1]));
    float acc[kChannelBlock];
#pragma unroll
    for (int j = 0; j < kChannelBlock; j++) {
        acc[j] = 0.0f;
    }
    for (int co = 0; co < g.cout; co++) {
        __syncthreads();
        for (int e = threadIdx.x; e < kChannelBlock * kvol; e += blockDim.x) {
            int ci = ci0 + e / kvol;
            sw[e] = ci < g.cin ? w[((int64_t) co * g.cin + ci) * kvol + e % kvol] : 0.0f;
        }
        __syncthreads();
        if (!active) {
            continue;
        }
        const float *gyc = gy + ((int64_t) n * g.cout + co) * outVol;
        int kk = 0;
        for (int kd = 0; kd < g.k[0]; kd++) {
            int nd = id + g.pad[0] - kd;
            int od = nd / g.stride[0];
            bool dOk = nd >= 0 && nd % g.stride[0] == 0 && od < g.out[0];
            for (int kh = 0; kh < g.k[1]; kh++) {
                int nh = ih + g.pad[1] - kh;
                int oh = nh / g.stride[1];
                bool dhOk = dOk && nh >= 0 && nh % g.stride[1] == 0 && oh < g.out[1];
                for (int kw = 0; kw < g.k[2]; kw++, kk++) {
                    int nw = iw + g.pad[2] - kw;
                    int ow = nw / g.stride[2];
                    if (!dhOk || nw < 0 || nw % g.stride[2] != 0 || ow >= g.out[2]) {
                        continue;
                    }
                    float gv = gyc[((int64_t) od * g.out[1] + oh) * g.out[2] + ow];
#pragma unroll
                    for (int j = 0; j < kChannelBlock; j++) {
                        acc[j] = fmaf(gv, sw[j * kvol + kk], acc[j]);
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
        int ci = ci0 + j;
        if (ci < g.cin) {
            gx[((int64_t) n * g.cin + ci) * inVol + p] = acc[j];
        }
    }
}

}  // namespace

extern "C" int ducisc_cuda_conv3d_backward_data(void *stream, const float *gy, const float *w, float *gx,
                                                const int32_t *geometry) {
    static const char *name = "ducisc_cuda_conv3d_backward_data";
    ducisc::ConvGeo g;
    if (!ducisc::parseGeometry(geometry, g)) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "geometry out of the kernels' range");
    }
    int64_t inVol = g.inVol();
    if (inVol == 0 || g.batch == 0 || g.cin == 0) {
        return 0;
    }
    size_t shared = sizeof(float) * kChannelBlock * g.kvol();
    return ducisc::launchBlocks(name, backwardDataKernel, ducisc::blocksFor(inVol, kConvThreads),
                                ducisc::blocksFor(g.cin, kChannelBlock), g.batch, shared, ducisc::asStream(stream), gy,
                                w, gx, g);
}
