// Batch-norm kernels over (n, c, s) tensors.
// Idea: the statistics and the gradient sums are one block per channel (channels are few and
// each block reads its channel's n*s elements at full bandwidth), accumulating in double with a
// fixed-order tree: deterministic and as exact as the CPU backend's double sums. The elementwise
// parts are one thread per element.
#include "common.cuh"

namespace {

constexpr int kReduceThreads = 512;

// Sum over channel k of (x - shift) or (x - shift)^2; the difference is taken in float, then widened,
// as the CPU backend does.
using ReduceBlock = ducisc::Block<kReduceThreads>;

__device__ double channelSum(ReduceBlock block, const float *x, int n, int c, int64_t s, int k, float shift,
                             bool square, double (&scratch)[kReduceThreads]) {
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        const float *row = x + ((int64_t) i * c + k) * s;
        for (int64_t j = threadIdx.x; j < s; j += blockDim.x) {
            double v = static_cast<double>(row[j] - shift);
            acc += square ? v * v : v;
        }
    }
    return ducisc::blockSum(block, acc, scratch);
}

__global__ void statsKernel(ReduceBlock block, const float *x, int n, int c, int64_t s, float *mean, float *var) {
    __shared__ double scratch[kReduceThreads];
    int k = blockIdx.x;
    double m = (double) n * s;
    double mu = channelSum(block, x, n, c, s, k, 0.0f, false, scratch) / m;
    float muF = static_cast<float>(mu);
    // A second pass over (x - mean)^2 rather than E[x^2] - mean^2, which cancels badly when |mean| >> std.
    double sq = channelSum(block, x, n, c, s, k, muF, true, scratch);
    if (threadIdx.x == 0) {
        double d = mu - muF;  // muF differs from mu by rounding; correct the second moment for that offset
        mean[k] = muF;
        var[k] = static_cast<float>(fmax(0.0, sq / m - d * d));
    }
}

__global__ void affineKernel(const float *x, const float *scale, const float *shift, int c, int64_t s, int relu,
                             float *y, int64_t total) {
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int k = static_cast<int>((t / s) % c);
        float v = fmaf(x[t], scale[k], shift[k]);
        y[t] = relu ? (v != v ? v : fmaxf(v, 0.0f)) : v;
    }
}

// gy, zeroed where the fused ReLU's output is not positive.
__device__ inline float gradient(const float *gy, const float *reluOut, int64_t t) {
    return reluOut == nullptr || reluOut[t] > 0.0f ? gy[t] : 0.0f;
}

__global__ void backwardReduceKernel(ReduceBlock block, const float *x, const float *gy, const float *reluOut,
                                     const float *mean, const float *invStd, int n, int c, int64_t s, float *sumGy,
                                     float *sumGyXhat) {
    __shared__ double scratch[kReduceThreads];
    int k = blockIdx.x;
    float mu = mean[k];
    double sg = 0.0;
    double sgx = 0.0;
    for (int i = 0; i < n; i++) {
        int64_t row = ((int64_t) i * c + k) * s;
        for (int64_t j = threadIdx.x; j < s; j += blockDim.x) {
            double g = gradient(gy, reluOut, row + j);
            sg += g;
            sgx += g * (static_cast<double>(x[row + j]) - mu);
        }
    }
    double totalG = ducisc::blockSum(block, sg, scratch);
    double totalGx = ducisc::blockSum(block, sgx, scratch);
    if (threadIdx.x == 0) {
        sumGy[k] = static_cast<float>(totalG);
        sumGyXhat[k] = static_cast<float>(totalGx * invStd[k]);
    }
}

// gx = a*g + cx*(x - mean) + c0 with a = gamma*invStd, c0 = -a*sumGy/m, cx = -a*invStd*sumGyXhat/m.
__global__ void backwardDataKernel(const float *x, const float *gy, const float *reluOut, const float *mean,
                                   const float *invStd, const float *gamma, const float *sumGy,
                                   const float *sumGyXhat, int c, int64_t s, double m, float *gx, int64_t total) {
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int k = static_cast<int>((t / s) % c);
        double is = invStd[k];
        double ak = gamma[k] * is;
        float a = static_cast<float>(ak);
        float c0 = static_cast<float>(-ak * sumGy[k] / m);
        float cx = static_cast<float>(-ak * is * sumGyXhat[k] / m);
        float r = fmaf(x[t] - mean[k], cx, c0);
        gx[t] = fmaf(gradient(gy, reluOut, t), a, r);
    }
}

}  // namespace

extern "C" int ducisc_cuda_batch_norm_stats(void *stream, const float *x, int32_t n, int32_t c, int64_t s,
                                            float *mean, float *var) {
    if (c == 0) {
        return 0;
    }
    return ducisc::launchBlocks("ducisc_cuda_batch_norm_stats", statsKernel, c, 1, 1, 0, ducisc::asStream(stream), x,
                                n, c, s, mean, var);
}

extern "C" int ducisc_cuda_channel_affine(void *stream, const float *x, const float *scale, const float *shift,
                                          int32_t n, int32_t c, int64_t s, int32_t relu, float *y) {
    int64_t total = (int64_t) n * c * s;
    if (total == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_channel_affine", affineKernel, ducisc::gridFor(total), ducisc::asStream(stream),
                          x, scale, shift, c, s, relu, y, total);
}

extern "C" int ducisc_cuda_batch_norm_backward_reduce(void *stream, const float *x, const float *gy,
                                                      const float *relu_out, const float *mean,
                                                      const float *inv_std, int32_t n, int32_t c, int64_t s,
                                                      float *sum_gy, float *sum_gy_xhat) {
    if (c == 0) {
        return 0;
    }
    return ducisc::launchBlocks("ducisc_cuda_batch_norm_backward_reduce", backwardReduceKernel, c, 1, 1, 0,
                                ducisc::asStream(stream), x, gy, relu_out, mean, inv_std, n, c, s, sum_gy, sum_gy_xhat);
}

extern "C" int ducisc_cuda_batch_norm_backward_data(void *stream, const float *x, const float *gy,
                                                    const float *relu_out, const float *mean, const float *inv_std,
                                                    const float *gamma, const float *sum_gy,
                                                    const float *sum_gy_xhat, int32_t n, int32_t c, int64_t s,
                                                    float *gx) {
    int64_t total = (int64_t) n * c * s;
    if (total == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_batch_norm_backward_data", backwardDataKernel, ducisc::gridFor(total),
                          ducisc::asStream(stream), x, gy, relu_out, mean, inv_std, gamma, sum_gy, sum_gy_xhat, c, s,
                          (double) n * s, gx, total);
}
