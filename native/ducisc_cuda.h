/*
 * The whole ABI between the Java CUDA backend (org.ducisc.backend.cuda.CudaKernels) and the
 * kernels in kernels/. One function per Backend op that runs on the device, except fill, which is
 * a driver memset and has no entry here.
 *
 * Conventions:
 * - stream is a cudaStream_t (a CUstream from the driver API) passed as void*; every launcher
 *   only enqueues work on it and never synchronises, except where a comment says so.
 * - Device pointers point at the operand's first element (the Java side has added the element
 *   offset); float operands are float32, uint8 operands are labels and masks.
 * - Arrays of shapes and strides (int64_t*, int32_t*) are HOST memory, read during the call.
 *   Strides count elements and may be zero (broadcast) or negative (flip).
 * - Return value: 0 on success; otherwise a cudaError_t (> 0) or DUCISC_BAD_ARGUMENT, and
 *   ducisc_cuda_last_error() describes the failure on the calling thread (function name and
 *   the CUDA runtime's own error string).
 * - Every sum is accumulated in double in an order fixed by the sizes and the launch shape: no
 *   float atomics anywhere, so the same inputs give bitwise identical results on one GPU.
 * - The kernels are compiled with --fmad=false: a*b+c rounds twice, as in Java, and fmaf()
 *   appears exactly where the CPU backend calls Math.fma.
 */
#ifndef DUCISC_CUDA_H
#define DUCISC_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every change of a signature below; the Java side refuses a library of another version. */
#define DUCISC_CUDA_ABI_VERSION 1

/* Status of a call with arguments the kernels do not support (e.g. a rank above DUCISC_MAX_RANK). */
#define DUCISC_BAD_ARGUMENT 10000

/* Largest rank of the strided ops (copy, binary, compare, sum). */
#define DUCISC_MAX_RANK 8

/* Op codes: the ordinals of org.ducisc.backend.UnaryOp, BinaryOp, CompareOp, InterpolationMode. */
#define DUCISC_UNARY_AFFINE 0
#define DUCISC_UNARY_EXP 1
#define DUCISC_UNARY_LOG 2
#define DUCISC_UNARY_POW 3
#define DUCISC_UNARY_CLAMP 4
#define DUCISC_UNARY_INSIDE 5
#define DUCISC_UNARY_RELU 6
#define DUCISC_UNARY_XLOGX 7
#define DUCISC_UNARY_XLOGX_GRAD 8

#define DUCISC_BINARY_ADD 0
#define DUCISC_BINARY_SUB 1
#define DUCISC_BINARY_MUL 2
#define DUCISC_BINARY_DIV 3
#define DUCISC_BINARY_RELU_GRAD 4

#define DUCISC_COMPARE_GT 0
#define DUCISC_COMPARE_GE 1
#define DUCISC_COMPARE_LT 2
#define DUCISC_COMPARE_LE 3
#define DUCISC_COMPARE_EQ 4
#define DUCISC_COMPARE_NE 5

#define DUCISC_INTERPOLATION_NEAREST 0
#define DUCISC_INTERPOLATION_TRILINEAR 1

/*
 * A convolution's geometry: 18 int32 in this order (org.ducisc.backend.ConvGeometry):
 * batch, in_channels, out_channels, in[3], kernel[3], stride[3], padding[3], out[3];
 * spatial triples are (d, h, w). x is (batch, cin, in), w (cout, cin, kernel), y (batch, cout, out).
 */
#define DUCISC_CONV_GEOMETRY_INTS 18

/* The library's ABI version (DUCISC_CUDA_ABI_VERSION when it was built). */
int ducisc_cuda_abi_version(void);

/* The message of the last failed call on this thread ("" if none). */
const char *ducisc_cuda_last_error(void);

/* ---- pointwise.cu ---- */

/* dst[sum(i*dst_strides)] = src[sum(i*src_strides)] for every index i of shape; elem_size 1 or 4. */
int ducisc_cuda_copy_strided(void *stream, int32_t elem_size, const void *src, const int64_t *src_strides,
                             void *dst, const int64_t *dst_strides, const int64_t *shape, int32_t rank);

/* float32 -> uint8: truncates toward zero, saturates at 0 and 255 (NaN -> 0). */
int ducisc_cuda_cast_f32_u8(void *stream, const float *src, uint8_t *dst, int64_t n);

/* uint8 -> float32. */
int ducisc_cuda_cast_u8_f32(void *stream, const uint8_t *src, float *dst, int64_t n);

/* y[i] = op(x[i]; a, b), op a DUCISC_UNARY_* code; y may be x. */
int ducisc_cuda_unary(void *stream, int32_t op, const float *x, float *y, int64_t n, float a, float b);

/* out (contiguous, shape) = op(a, b) over strided operands; out may be a contiguous a. */
int ducisc_cuda_binary(void *stream, int32_t op, const float *a, const int64_t *a_strides, const float *b,
                       const int64_t *b_strides, float *out, const int64_t *shape, int32_t rank);

/* out (contiguous, shape) = 1 where a op b, else 0; in_u8 / out_u8: operand types uint8 (1) or float32 (0). */
int ducisc_cuda_compare(void *stream, int32_t op, int32_t in_u8, const void *a, const int64_t *a_strides,
                        const void *b, const int64_t *b_strides, int32_t out_u8, void *out, const int64_t *shape,
                        int32_t rank);

/* ---- reduce.cu ---- */

/* out = sum of contiguous x (shape) over the dims with reduce[d] != 0; out contiguous over the kept dims. */
int ducisc_cuda_sum(void *stream, const float *x, const int64_t *shape, const int32_t *reduce, int32_t rank,
                    float *out);

/* ---- softmax_losses.cu: (n, c, s) tensors, channel dim in the middle ---- */

/* out[n, s] = index of the largest channel, the first on ties. */
int ducisc_cuda_argmax_channel(void *stream, const float *x, int32_t n, int32_t c, int64_t s, uint8_t *out);

/* y = softmax (log = 0) or log-softmax (log = 1) of x over the channel dim. */
int ducisc_cuda_softmax_channel(void *stream, const float *x, int32_t n, int32_t c, int64_t s, float *y,
                                int32_t log);

/* gx = gradient of the softmax (or log-softmax) from its output y and the output gradient gy. */
int ducisc_cuda_softmax_channel_backward(void *stream, const float *y, const float *gy, int32_t n, int32_t c,
                                         int64_t s, float *gx, int32_t log);

/*
 * out[n, s] = x[n, target[n, s], s]. A target >= c leaves out undefined there and records
 * (n*s + position) << 8 | value of the first such element in the device word *bad, which the
 * launcher first sets to UINT64_MAX; the caller reads *bad back to report it.
 */
int ducisc_cuda_gather_channel(void *stream, const float *x, const uint8_t *target, int32_t n, int32_t c,
                               int64_t s, float *out, unsigned long long *bad);

/* gx[n, k, s] = k == target[n, s] ? g[n, s] : 0; bad targets as in ducisc_cuda_gather_channel. */
int ducisc_cuda_scatter_channel(void *stream, const float *g, const uint8_t *target, int32_t n, int32_t c,
                                int64_t s, float *gx, unsigned long long *bad);

/* ---- conv3d.cu ---- */

/* y = conv3d(x, w) + bias; bias may be NULL. */
int ducisc_cuda_conv3d_forward(void *stream, const float *x, const float *w, const float *bias, float *y,
                               const int32_t *geometry);

/* gw = (accumulate ? gw : 0) + gradient of conv3d with respect to w. */
int ducisc_cuda_conv3d_backward_weight(void *stream, const float *x, const float *gy, float *gw,
                                       const int32_t *geometry, int32_t accumulate);

/* ---- conv_transpose3d.cu ---- */

/* gx = gradient of conv3d with respect to x (written); also the forward of the transposed convolution. */
int ducisc_cuda_conv3d_backward_data(void *stream, const float *gy, const float *w, float *gx,
                                     const int32_t *geometry);

/* ---- batchnorm.cu: (n, c, s) tensors ---- */

/* Per-channel mean and biased variance (two passes, double sums). */
int ducisc_cuda_batch_norm_stats(void *stream, const float *x, int32_t n, int32_t c, int64_t s, float *mean,
                                 float *var);

/* y = fmaf(x, scale[c], shift[c]), then max(y, 0) if relu; y may be x. */
int ducisc_cuda_channel_affine(void *stream, const float *x, const float *scale, const float *shift, int32_t n,
                               int32_t c, int64_t s, int32_t relu, float *y);

/*
 * sum_gy[c] = sum(g), sum_gy_xhat[c] = sum(g * (x - mean[c])) * inv_std[c], with g = gy, or gy where
 * relu_out > 0 when relu_out is not NULL.
 */
int ducisc_cuda_batch_norm_backward_reduce(void *stream, const float *x, const float *gy, const float *relu_out,
                                           const float *mean, const float *inv_std, int32_t n, int32_t c,
                                           int64_t s, float *sum_gy, float *sum_gy_xhat);

/* gx = gamma*inv_std/m * (m*g - sum_gy - xhat*sum_gy_xhat), m = n*s, g as above. */
int ducisc_cuda_batch_norm_backward_data(void *stream, const float *x, const float *gy, const float *relu_out,
                                         const float *mean, const float *inv_std, const float *gamma,
                                         const float *sum_gy, const float *sum_gy_xhat, int32_t n, int32_t c,
                                         int64_t s, float *gx);

/* ---- interpolate.cu: (nc, d, h, w) planes, PyTorch's F.interpolate rules (align_corners=False) ---- */

/* y (nc, out[3]) = resampled x (nc, in[3]); mode a DUCISC_INTERPOLATION_* code. */
int ducisc_cuda_interpolate(void *stream, int32_t mode, const float *x, int64_t nc, const int32_t *in, float *y,
                            const int32_t *out);

/* gx (nc, in[3]) = gradient of the resampling given gy (nc, out[3]); written, gathered (no atomics). */
int ducisc_cuda_interpolate_backward(void *stream, int32_t mode, const float *gy, int64_t nc, const int32_t *in,
                                     const int32_t *out, float *gx);

#ifdef __cplusplus
}
#endif

#endif
