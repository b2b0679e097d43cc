// Ops over the channel dim of (n, c, s) tensors: argmax, softmax and its gradient, and the
// gather/scatter of the cross-entropy's picked channel. One thread per (sample, position) walks
// all channels; every output depends on its own position only, so no reduction crosses threads.
#include "common.cuh"

namespace {

__global__ void argmaxKernel(const float *x, int n, int c, int64_t s, uint8_t *out) {
    int64_t total = (int64_t) n * s;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int64_t i = t / s;
        int64_t j = t % s;
        const float *p = x + i * c * s + j;
        float best = p[0];
        int arg = 0;
        for (int k = 1; k < c; k++) {
            float v = p[k * s];
            if (v > best) {
                best = v;
                arg = k;
            }
        }
        out[t] = static_cast<uint8_t>(arg);
    }
}

__global__ void softmaxKernel(const float *x, int n, int c, int64_t s, float *y, int log) {
    int64_t total = (int64_t) n * s;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int64_t base = (t / s) * c * s + t % s;
        const float *p = x + base;
        float *q = y + base;
        float m = p[0];
        for (int k = 1; k < c; k++) {
            m = fmaxf(m, p[k * s]);
        }
        float sum = 0.0f;
        for (int k = 0; k < c; k++) {
            sum += expf(p[k * s] - m);
        }
        if (log) {
            float shift = m + logf(sum);
            for (int k = 0; k < c; k++) {
                q[k * s] = p[k * s] - shift;
            }
        } else {
            for (int k = 0; k < c; k++) {
                q[k * s] = expf(p[k * s] - m) / sum;
            }
        }
    }
}

// Softmax: gx = y * (gy - sum_k gy*y). Log-softmax: gx = gy - exp(y) * sum_k gy.
__global__ void softmaxBackwardKernel(const float *y, const float *gy, int n, int c, int64_t s, float *gx, int log) {
    int64_t total = (int64_t) n * s;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int64_t base = (t / s) * c * s + t % s;
        const float *yp = y + base;
        const float *gp = gy + base;
        float *op = gx + base;
        if (log) {
            float sum = 0.0f;
            for (int k = 0; k < c; k++) {
                sum += gp[k * s];
            }
            for (int k = 0; k < c; k++) {
                op[k * s] = gp[k * s] - expf(yp[k * s]) * sum;
            }
        } else {
            float dot = 0.0f;
            for (int k = 0; k < c; k++) {
                dot = fmaf(yp[k * s], gp[k * s], dot);
            }
            for (int k = 0; k < c; k++) {
                op[k * s] = yp[k * s] * (gp[k * s] - dot);
            }
        }
    }
}

// Records the first (lowest-index) bad target: index << 8 | value, kept by an integer atomicMin.
__device__ inline void recordBadTarget(unsigned long long *bad, int64_t t, int value) {
    atomicMin(bad, (static_cast<unsigned long long>(t) << 8) | static_cast<unsigned long long>(value));
}

__global__ void gatherKernel(const float *x, const uint8_t *target, int n, int c, int64_t s, float *out,
                             unsigned long long *bad) {
    int64_t total = (int64_t) n * s;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int k = target[t];
        if (k >= c) {
            recordBadTarget(bad, t, k);
            continue;
        }
        out[t] = x[(t / s) * c * s + k * s + t % s];
    }
}

__global__ void scatterKernel(const float *g, const uint8_t *target, int n, int c, int64_t s, float *gx,
                              unsigned long long *bad) {
    int64_t total = (int64_t) n * s;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int k = target[t];
        if (k >= c) {
            recordBadTarget(bad, t, k);
        }
        float v = g[t];
        float *p = gx + (t / s) * c * s + t % s;
        for (int j = 0; j < c; j++) {
            p[j * s] = j == k ? v : 0.0f;
        }
    }
}

int resetBad(cudaStream_t stream, unsigned long long *bad, const char *name) {
    cudaError_t e = cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), stream);
    return e == cudaSuccess ? 0 : ducisc::fail(static_cast<int>(e), name, cudaGetErrorString(e));
}

}  // namespace

extern "C" int ducisc_cuda_argmax_channel(void *stream, const float *x, int32_t n, int32_t c, int64_t s,
                                          uint8_t *out) {
    int64_t total = (int64_t) n * s;
    if (total == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_argmax_channel", argmaxKernel, ducisc::gridFor(total), ducisc::asStream(stream),
                          x, n, c, s, out);
}

extern "C" int ducisc_cuda_softmax_channel(void *stream, const float *x, int32_t n, int32_t c, int64_t s, float *y,
                                           int32_t log) {
    int64_t total = (int64_t) n * s;
    if (total == 0 || c == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_softmax_channel", softmaxKernel, ducisc::gridFor(total),
                          ducisc::asStream(stream), x, n, c, s, y, log);
}

extern "C" int ducisc_cuda_softmax_channel_backward(void *stream, const float *y, const float *gy, int32_t n,
                                                    int32_t c, int64_t s, float *gx, int32_t log) {
    int64_t total = (int64_t) n * s;
    if (total == 0 || c == 0) {
        return 0;
    }
    return ducisc::launch("ducisc_cuda_softmax_channel_backward", softmaxBackwardKernel, ducisc::gridFor(total),
                          ducisc::asStream(stream), y, gy, n, c, s, gx, log);
}

extern "C" int ducisc_cuda_gather_channel(void *stream, const float *x, const uint8_t *target, int32_t n,
                                          int32_t c, int64_t s, float *out, unsigned long long *bad) {
    static const char *name = "ducisc_cuda_gather_channel";
    cudaStream_t st = ducisc::asStream(stream);
    int status = resetBad(st, bad, name);
    int64_t total = (int64_t) n * s;
    if (status != 0 || total == 0) {
        return status;
    }
    return ducisc::launch(name, gatherKernel, ducisc::gridFor(total), st, x, target, n, c, s, out, bad);
}

extern "C" int ducisc_cuda_scatter_channel(void *stream, const float *g, const uint8_t *target, int32_t n,
                                           int32_t c, int64_t s, float *gx, unsigned long long *bad) {
    static const char *name = "ducisc_cuda_scatter_channel";
    cudaStream_t st = ducisc::asStream(stream);
    int status = resetBad(st, bad, name);
    int64_t total = (int64_t) n * s;
    if (status != 0 || total == 0) {
        return status;
    }
    return ducisc::launch(name, scatterKernel, ducisc::gridFor(total), st, g, target, n, c, s, gx, bad);
}
