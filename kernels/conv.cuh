// Geometry of a 3D convolution, shared by conv3d.cu and conv_transpose3d.cu.
#pragma once

#include "common.cuh"

namespace ducisc {

// Output or input channels computed per thread (register blocking); the weights they need for one
// channel of the other side sit in shared memory.
constexpr int kChannelBlock = 8;
constexpr int kConvThreads = 128;

struct ConvGeo {
    int batch;
    int cin;
    int cout;
    int in[3];
    int k[3];
    int stride[3];
    int pad[3];
    int out[3];

    __host__ __device__ int kvol() const { return k[0] * k[1] * k[2]; }
    __host__ __device__ int64_t inVol() const { return (int64_t) in[0] * in[1] * in[2]; }
    __host__ __device__ int64_t outVol() const { return (int64_t) out[0] * out[1] * out[2]; }
};

// Reads the DUCISC_CONV_GEOMETRY_INTS host ints; false if a value is out of the kernels' range.
inline bool parseGeometry(const int32_t *g, ConvGeo &geo) {
    geo.batch = g[0];
    geo.cin = g[1];
    geo.cout = g[2];
    for (int a = 0; a < 3; a++) {
        geo.in[a] = g[3 + a];
        geo.k[a] = g[6 + a];
        geo.stride[a] = g[9 + a];
        geo.pad[a] = g[12 + a];
        geo.out[a] = g[15 + a];
        if (geo.k[a] < 1 || geo.stride[a] < 1 || geo.pad[a] < 0 || geo.in[a] < 0 || geo.out[a] < 0) {
            return false;
        }
    }
    // Grid dims y and z carry channel blocks and the batch.
    return geo.batch >= 0 && geo.batch <= 65535 && geo.cin >= 0 && geo.cout >= 0
        && (int64_t) geo.cout * geo.cin <= 0x7fffffffLL && geo.cout / kChannelBlock < 65535
        && geo.cin / kChannelBlock < 65535;
}

}  // namespace ducisc
