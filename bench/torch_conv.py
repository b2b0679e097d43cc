#!/usr/bin/python3
"""PyTorch timings of the V-Net convolutions that ConvBench measures, per direction.

Same shapes (batch 2, NCDHW with D innermost), two threads, median of several runs after warm-up.
Prints 'RESULT shape direction median_ms GFLOP/s' lines, like ConvBench's summary.
Usage: /usr/bin/python3 bench/torch_conv.py [shape ...]
       TORCH_DEVICE=cuda python3 bench/torch_conv.py [shape ...]   (cuDNN, for bench/gpu/run.sh)
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEVICE = torch.device(os.environ.get("TORCH_DEVICE", "cpu"))
if DEVICE.type == "cpu":
    torch.set_num_threads(2)
else:
    torch.backends.cudnn.benchmark = True
BATCH = 2
# name: cin, cout, spatial (W, H, D), kernel, stride, padding, transposed (as in ConvBench.Shape)
SHAPES = {
    "c1_16": (1, 16, (112, 112, 80), 3, 1, 1, False),
    "c16_16": (16, 16, (112, 112, 80), 3, 1, 1, False),
    "c32_32": (32, 32, (56, 56, 40), 3, 1, 1, False),
    "c64_64": (64, 64, (28, 28, 20), 3, 1, 1, False),
    "c128_128": (128, 128, (14, 14, 10), 3, 1, 1, False),
    "c256_256": (256, 256, (7, 7, 5), 3, 1, 1, False),
    "down16_32": (16, 32, (112, 112, 80), 2, 2, 0, False),
    "down32_64": (32, 64, (56, 56, 40), 2, 2, 0, False),
    "up32_16": (32, 16, (56, 56, 40), 2, 2, 0, True),
    "head16_2": (16, 2, (112, 112, 80), 1, 1, 0, False),
}
DEFAULT = ["c1_16", "c16_16", "c32_32", "c64_64", "c128_128", "down16_32", "down32_64", "up32_16", "head16_2"]


def sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, seconds=2.0, min_runs=5):
    for _ in range(2):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < seconds:
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(names):
    torch.manual_seed(7)
    for name in names:
        cin, cout, spatial, k, s, p, transposed = SHAPES[name]
        ks, st, pd = [k] * 3, [s] * 3, [p] * 3
        x = torch.randn(BATCH, cin, *spatial, device=DEVICE)
        if transposed:
            w = torch.randn(cin, cout, *ks, device=DEVICE) * 0.1
            y = F.conv_transpose3d(x, w, None, s, p)
            # FLOPs of the convolution this one is the data gradient of: output y, input x.
            conv_out, conv_cin, conv_cout = spatial, cout, cin
        else:
            w = torch.randn(cout, cin, *ks, device=DEVICE) * 0.1
            y = F.conv3d(x, w, None, s, p)
            conv_out, conv_cin, conv_cout = y.shape[2:], cin, cout
        b = torch.randn(cout, device=DEVICE) * 0.1
        gy = torch.randn_like(y)
        flops = 2.0 * BATCH * conv_cout * conv_out[0] * conv_out[1] * conv_out[2] * conv_cin * k ** 3

        def backward(mask):
            return torch.ops.aten.convolution_backward(gy, x, w, None, st, pd, [1, 1, 1], transposed, [0, 0, 0], 1,
                                                       mask)

        runs = {
            "forward": (lambda: F.conv_transpose3d(x, w, b, s, p)) if transposed else (lambda: F.conv3d(x, w, b, s, p)),
            "backwardData": lambda: backward([True, False, False]),
            "backwardWeight": lambda: backward([False, True, False]),
        }
        with torch.no_grad():
            for direction, fn in runs.items():
                sec = timed(fn)
                print(f"RESULT {name} {direction} {sec * 1e3:.3f} {flops / sec / 1e9:.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
