#!/usr/bin/env python3
"""The PyTorch side of `./ducisc bench vnet`: one training-mode forward + backward of the DuCiSC
V-Net with the supervised loss (the model and loss of tests/fixtures/make_vnet_fixtures.py, so
the two benchmarks run the same computation). Prints the median, min and max seconds and the
process's peak RSS; the last line is the median in seconds.

usage: /usr/bin/python3 bench/torch_vnet.py [--patch 112,112,80] [--batch 2] [--base-filters 16]
                                            [--runs 5] [--warmup 1] [--threads 2]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures'))
from make_vnet_fixtures import VNet, supervised_loss  # noqa: E402
from torch_timing import time_runs  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--patch', default='112,112,80')
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--base-filters', type=int, default=16)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    size = [int(s) for s in a.patch.split(',')]
    model = VNet(n_channels=1, n_classes=2, n_filters=a.base_filters, has_dropout=True)
    model.train()
    x = torch.randn(a.batch, 1, *size)
    label = (torch.rand(a.batch, *size) < 0.3).to(torch.uint8)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'torch vnet: patch {size[0]}x{size[1]}x{size[2]}, batch {a.batch}, base filters {a.base_filters}, '
          f'{n_params:,} parameters, {torch.get_num_threads()} threads, torch {torch.__version__}', flush=True)

    def step(_):
        outputs, _ = model(x)
        loss, _, _ = supervised_loss(outputs, label)
        loss.backward()
        model.zero_grad(set_to_none=True)

    time_runs(step, a.runs, a.warmup)


if __name__ == '__main__':
    main()
