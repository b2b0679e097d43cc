#!/usr/bin/env python3
"""The PyTorch side of `./ducisc bench step` on the CPU: one DuCiSC training iteration as the
reference runs it (three student passes, the teacher pass, every loss, backward, thresholds, SGD,
EMA), the iteration of bench/gpu/torch_step.py (same V-Net, losses and inputs: 112x112x80, 16
filters, 2 labeled + 2 unlabeled, past the warm-up so every term is used). Prints each run's
seconds and the process's peak RSS; the last line is the median in seconds.

usage: /usr/bin/python3 bench/torch_step.py [--patch 112,112,80] [--base-filters 16] [--runs 5]
                                            [--warmup 1] [--threads 2]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'gpu'))
from torch_step import WARMUP, LR, MOMENTUM, WEIGHT_DECAY, iteration  # noqa: E402
from make_vnet_fixtures import VNet  # noqa: E402  (put on the path by torch_step)
from torch_timing import time_runs  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--patch', default='112,112,80')
    ap.add_argument('--base-filters', type=int, default=16)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    patch = tuple(int(v) for v in a.patch.split(','))
    student = VNet(n_filters=a.base_filters, has_dropout=True).train()
    teacher = VNet(n_filters=a.base_filters, has_dropout=True).train()
    for p in teacher.parameters():
        p.requires_grad_(False)
    opt = torch.optim.SGD(student.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    x_lab = torch.randn(2, 1, *patch)
    x_unl = torch.randn(2, 1, *patch)
    grid = torch.stack(torch.meshgrid(*[torch.arange(n, dtype=torch.float32) - n / 2 for n in patch],
                                      indexing='ij')).pow(2).sum(0)
    y_lab = (grid < 20 * 20).to(torch.uint8).expand(2, *patch).contiguous()
    w = torch.tensor([0.4, 0.6])
    thr_bg, thr_fg = [0.5] * 4, [0.5] * 4
    n_params = sum(p.numel() for p in student.parameters())
    print(f'torch step: one DuCiSC iteration, patch {patch[0]}x{patch[1]}x{patch[2]}, batch 2 labeled + 2 unlabeled, '
          f'base filters {a.base_filters}, {n_params:,} parameters per network, {torch.get_num_threads()} threads, '
          f'torch {torch.__version__}', flush=True)
    time_runs(lambda i: iteration(student, teacher, opt, thr_bg, thr_fg, x_lab, y_lab, x_unl, w, WARMUP + i),
              a.runs, a.warmup)


if __name__ == '__main__':
    main()
