// Nearest and trilinear (align_corners=False) resampling of (nc, d, h, w) planes with the CPU
// backend's exact arithmetic (see CpuResample): per-axis source indices and weights are computed
// the same way in the same precision, and the blends use fmaf where the CPU uses Math.fma.
// Idea: the forward is one thread per output; the backward is one thread per INPUT element that
// gathers, in output order, the contributions the CPU backend scatters: no atomics, and each sum is
// added in the CPU's order, so the two backends agree bit for bit.
#include "common.cuh"

namespace {

struct Axis {
    int i0;
    int i1;
    float w0;
    float w1;
};

__device__ inline Axis axisAt(bool nearest, int in, int out, int o) {
    if (out == in) {
        return {o, o, 1.0f, 0.0f};
    }
    if (nearest) {
        int i = out == 2 * in ? o >> 1 : min(static_cast<int>(floorf(static_cast<float>(o) * (static_cast<float>(in) / out))), in - 1);
        return {i, i, 1.0f, 0.0f};
    }
    double scale = static_cast<float>(in) / out;
    double src = fmax(scale * (o + 0.5) - 0.5, 0.0);
    int lo = static_cast<int>(src);
    float w1 = static_cast<float>(src - lo);
    return {lo, lo + (lo < in - 1 ? 1 : 0), 1.0f - w1, w1};
}

// First output o in [0, out] whose first source index exceeds `limit` (i0 never decreases with o).
__device__ inline int firstAbove(bool nearest, int in, int out, int limit) {
    int lo = 0;
    int hi = out;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (axisAt(nearest, in, out, mid).i0 > limit) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

__device__ inline float blend(float t0, float w0, float t1, float w1) {
    return fmaf(t0, w0, t1 * w1);
}

struct Sizes {
    int in[3];
    int out[3];
};

__global__ void interpolateKernel(bool nearest, const float *x, int64_t nc, Sizes z, float *y) {
    int64_t outPlane = (int64_t) z.out[0] * z.out[1] * z.out[2];
    int64_t inPlane = (int64_t) z.in[0] * z.in[1] * z.in[2];
    int64_t total = nc * outPlane;
    int inH = z.in[1];
    int inW = z.in[2];
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int ow = static_cast<int>(t % z.out[2]);
        int oh = static_cast<int>(t / z.out[2] % z.out[1]);
        int od = static_cast<int>(t / ((int64_t) z.out[2] * z.out[1]) % z.out[0]);
        const float *p = x + t / outPlane * inPlane;
        Axis d = axisAt(nearest, z.in[0], z.out[0], od);
        Axis h = axisAt(nearest, z.in[1], z.out[1], oh);
        Axis w = axisAt(nearest, z.in[2], z.out[2], ow);
        if (nearest) {
            y[t] = p[((int64_t) d.i0 * inH + h.i0) * inW + w.i0];
            continue;
        }
        const float *r00 = p + ((int64_t) d.i0 * inH + h.i0) * inW;
        const float *r01 = p + ((int64_t) d.i0 * inH + h.i1) * inW;
        const float *r10 = p + ((int64_t) d.i1 * inH + h.i0) * inW;
        const float *r11 = p + ((int64_t) d.i1 * inH + h.i1) * inW;
        float t00 = blend(r00[w.i0], w.w0, r00[w.i1], w.w1);
        float t01 = blend(r01[w.i0], w.w0, r01[w.i1], w.w1);
        float t10 = blend(r10[w.i0], w.w0, r10[w.i1], w.w1);
        float t11 = blend(r11[w.i0], w.w0, r11[w.i1], w.w1);
        y[t] = blend(blend(t00, h.w0, t01, h.w1), d.w0, blend(t10, h.w0, t11, h.w1), d.w1);
    }
}

__global__ void interpolateBackwardKernel(bool nearest, const float *gy, int64_t nc, Sizes z, float *gx) {
    int64_t outPlane = (int64_t) z.out[0] * z.out[1] * z.out[2];
    int64_t inPlane = (int64_t) z.in[0] * z.in[1] * z.in[2];
    int64_t total = nc * inPlane;
    // Outputs that read input index i along an axis: first source index in [i - reach, i].
    int reach = nearest ? 0 : 1;
    for (int64_t t = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; t < total;
         t += (int64_t) gridDim.x * blockDim.x) {
        int iw = static_cast<int>(t % z.in[2]);
        int ih = static_cast<int>(t / z.in[2] % z.in[1]);
        int id = static_cast<int>(t / ((int64_t) z.in[2] * z.in[1]) % z.in[0]);
        const float *g = gy + t / inPlane * outPlane;
        int d0 = firstAbove(nearest, z.in[0], z.out[0], id - reach - 1);
        int d1 = firstAbove(nearest, z.in[0], z.out[0], id);
        int h0 = firstAbove(nearest, z.in[1], z.out[1], ih - reach - 1);
        int h1 = firstAbove(nearest, z.in[1], z.out[1], ih);
        int w0 = firstAbove(nearest, z.in[2], z.out[2], iw - reach - 1);
        int w1 = firstAbove(nearest, z.in[2], z.out[2], iw);
        float acc = 0.0f;
        for (int od = d0; od < d1; od++) {
            Axis d = axisAt(nearest, z.in[0], z.out[0], od);
            for (int oh = h0; oh < h1; oh++) {
                Axis h = axisAt(nearest, z.in[1], z.out[1], oh);
                const float *row = g + ((int64_t) od * z.out[1] + oh) * z.out[2];
                for (int ow = w0; ow < w1; ow++) {
                    float v = row[ow];
                    if (nearest) {
                        acc = acc + v;
                        continue;
                    }
                    Axis w = axisAt(nearest, z.in[2], z.out[2], ow);
                    // The CPU's order within one output: (d, h, w) selectors 0/1, lexicographic.
                    for (int ds = 0; ds < 2; ds++) {
                        if ((ds == 0 ? d.i0 : d.i1) != id) {
                            continue;
                        }
                        for (int hs = 0; hs < 2; hs++) {
                            if ((hs == 0 ? h.i0 : h.i1) != ih) {
                                continue;
                            }
                            float dh = (ds == 0 ? d.w0 : d.w1) * (hs == 0 ? h.w0 : h.w1);
                            if (w.i0 == iw) {
                                acc = fmaf(dh * w.w0, v, acc);
                            }
                            if (w.i1 == iw) {
                                acc = fmaf(dh * w.w1, v, acc);
                            }
                        }
                    }
                }
            }
        }
        gx[t] = acc;
    }
}

int launch(bool backward, int32_t mode, const float *src, int64_t nc, const int32_t *in, const int32_t *out,
           float *dst, void *stream) {
    const char *name = backward ? "ducisc_cuda_interpolate_backward" : "ducisc_cuda_interpolate";
    if (mode != DUCISC_INTERPOLATION_NEAREST && mode != DUCISC_INTERPOLATION_TRILINEAR) {
        return ducisc::fail(DUCISC_BAD_ARGUMENT, name, "unknown interpolation mode code");
    }
    Sizes z = {{in[0], in[1], in[2]}, {out[0], out[1], out[2]}};
    int64_t total = nc * (backward ? (int64_t) in[0] * in[1] * in[2] : (int64_t) out[0] * out[1] * out[2]);
    if (total == 0) {
        return 0;
    }
    bool nearest = mode == DUCISC_INTERPOLATION_NEAREST;
    cudaStream_t st = ducisc::asStream(stream);
    return ducisc::launch(name, backward ? interpolateBackwardKernel : interpolateKernel, ducisc::gridFor(total), st,
                          nearest, src, nc, z, dst);
}

}  // namespace

extern "C" int ducisc_cuda_interpolate(void *stream, int32_t mode, const float *x, int64_t nc, const int32_t *in,
                                       float *y, const int32_t *out) {
    return launch(false, mode, x, nc, in, out, y, stream);
}

extern "C" int ducisc_cuda_interpolate_backward(void *stream, int32_t mode, const float *gy, int64_t nc,
                                                const int32_t *in, const int32_t *out, float *gx) {
    return launch(true, mode, gy, nc, in, out, gx, stream);
}
