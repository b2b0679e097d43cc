#!/usr/bin/env python3
"""The PyTorch side of the `ducisc test` timing: the reference's sliding-window inference
(`test_single_case` of tests/fixtures/make_sliding_window_fixture.py, one window per forward pass,
as the reference runs it) with the 16-filter V-Net on one LA-sized volume. Weights are PyTorch's default initialisation and the image is
random: the time does not depend on either. Prints the seconds of each run and the process's peak RSS; the
last line is the median in seconds.

usage: /usr/bin/python3 bench/torch_sliding_window.py [--size 150,150,88] [--patch 112,112,80]
                                                      [--stride-xy 18] [--stride-z 4]
                                                      [--base-filters 16] [--threads 2] [--runs 1]
                                                      [--warmup 0]
"""
import argparse
import os
import statistics
import sys
import time

import resource

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures'))
from make_vnet_fixtures import VNet  # noqa: E402
from make_sliding_window_fixture import test_single_case  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', default='150,150,88')
    ap.add_argument('--patch', default='112,112,80')
    ap.add_argument('--stride-xy', type=int, default=18)
    ap.add_argument('--stride-z', type=int, default=4)
    ap.add_argument('--base-filters', type=int, default=16)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    size = tuple(int(s) for s in a.size.split(','))
    patch = tuple(int(s) for s in a.patch.split(','))
    model = VNet(n_channels=1, n_classes=2, n_filters=a.base_filters, has_dropout=True)
    model.eval()
    image = np.random.default_rng(1337).standard_normal(size).astype(np.float32)
    print(f'torch sliding window: volume {size}, patch {patch}, stride {a.stride_xy}/{a.stride_z}, '
          f'base filters {a.base_filters}, {torch.get_num_threads()} threads, torch {torch.__version__}', flush=True)
    seconds, cpus = [], []
    for r in range(-a.warmup, a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        score, steps = test_single_case(model, image, a.stride_xy, a.stride_z, patch, 2, torch.float32)
        s, cpu = time.perf_counter() - t0, time.process_time() - c0
        if r >= 0:
            seconds.append(s)
            cpus.append(cpu)
        print(f'{"warm-up" if r < 0 else "run"} {r + a.warmup + 1 if r < 0 else r + 1}: {s:.3f} s (cpu {cpu:.3f} s, {steps[0] * steps[1] * steps[2]} windows {steps})', flush=True)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f'median {statistics.median(seconds):.3f} s, min {min(seconds):.3f} s, max {max(seconds):.3f} s, median cpu {statistics.median(cpus):.3f} s, '
          f'peak RSS {peak_gb:.2f} GB')
    print(f'{statistics.median(seconds):.3f}')


if __name__ == '__main__':
    main()
