#!/usr/bin/env python3
"""The PyTorch reference's DuCiSC training iteration, timed on the GPU beside ours (bench/gpu/run.sh).

One iteration as ../shared/docs/ducisc-method.md section 3 states it: student on the labeled and
unlabeled halves, supervised loss, teacher pseudo labels and certainty masks, pseudo-label loss,
prototype alignment, volume fusion with its mix and mix-prototype losses, the normalised sum,
backward, self-aware threshold update, SGD and the teacher's EMA. The V-Net and the small loss
helpers are the ones the golden fixtures were made with (tests/fixtures), so both sides compute
the same thing. Default: 112x112x80, 16 filters, 2 labeled + 2 unlabeled, dropout on as in the
reference's training, iterations past the warm-up. The last line is 'RESULT torch_ducisc_step MS'
(median wall milliseconds, synchronised).

usage: python3 bench/gpu/torch_step.py [--patch 112,112,80] [--base-filters 16] [--runs 10] [--device cuda]
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'fixtures'))
from make_vnet_fixtures import VNet, supervised_loss  # noqa: E402
from make_ducisc_step_fixture import masked_mean, masked_dice, prototypes, proto_loss  # noqa: E402

WARMUP = 2000
LAMBDA = dict(cons=0.3, mix=0.1, proto=0.1, mixproto=0.1)
THR_DECAY, THR_LOW, THR_HIGH = 0.99, 0.5, 0.95
LR, MOMENTUM, WEIGHT_DECAY, EMA_DECAY = 0.01, 0.9, 1e-4, 0.99


def iteration(student, teacher, opt, thr_bg, thr_fg, x_lab, y_lab, x_unl, w, it):
    """One DuCiSC iteration; updates student, teacher and the thresholds in place; returns the logged loss."""
    dtype = x_lab.dtype
    out_l, feat_l = student(x_lab)
    out_u, feat_u = student(x_unl)
    l_sup, _, _ = supervised_loss(out_l, y_lab)
    with torch.no_grad():
        out_t, _ = teacher(x_unl)
    pseudo = [o.argmax(1) for o in out_t]
    certain = []
    for i, o in enumerate(out_t):
        q = F.softmax(o, 1)
        certain.append(((q[:, 0] > thr_bg[i]) | (q[:, 1] > thr_fg[i])).to(dtype))
    levels = len(out_u)
    ce = sum(masked_mean(F.cross_entropy(out_u[i], pseudo[i], reduction='none'), certain[i])
             for i in range(levels)) / levels
    dice = sum(masked_dice(F.softmax(out_u[i], 1)[:, 1], pseudo[i].to(dtype), certain[i])
               for i in range(levels)) / levels
    l_cons = (ce + dice) / 2
    y5 = y_lab.to(dtype).unsqueeze(1)
    proto_l = [prototypes(f, F.interpolate(y5, size=f.shape[2:], mode='nearest')) for f in feat_l]
    proto_u = [prototypes(feat_u[i], pseudo[levels - 1 - i].unsqueeze(1).to(dtype)) for i in range(len(feat_u))]
    l_proto = proto_loss(proto_l, proto_u)
    wv = w.view(-1, 1, 1, 1, 1)
    x_fus = wv * x_lab + (1 - wv) * x_unl
    s5 = (wv[:, :, 0] * y_lab.to(dtype) + (1 - wv[:, :, 0]) * pseudo[-1].to(dtype)).unsqueeze(1)
    out_f, feat_f = student(x_fus)
    kl_sum, dice_sum = 0, 0
    for i, o in enumerate(out_f):
        si = F.interpolate(s5, size=o.shape[2:], mode='trilinear', align_corners=False)
        kl = F.kl_div(F.log_softmax(o, 1), torch.cat([1 - si, si], 1), reduction='none')
        mi = certain[i].unsqueeze(1)
        kl_sum = kl_sum + (kl * mi).sum() / (2 * mi.sum())
        dice_sum = dice_sum + masked_dice(F.softmax(o, 1)[:, 1], si[:, 0], certain[i])
    l_mix = (kl_sum / levels + dice_sum / levels) / 2
    proto_f = [prototypes(f, F.interpolate(s5, size=f.shape[2:], mode='trilinear', align_corners=False))
               for f in feat_f]
    l_mixproto = proto_loss(proto_l, proto_f)
    optimised = l_sup / l_sup.detach()
    logged = l_sup.detach()
    if it >= WARMUP:
        for name, term, proto in (('cons', l_cons, False), ('mix', l_mix, False), ('proto', l_proto, True),
                                  ('mixproto', l_mixproto, True)):
            if torch.isfinite(term) and (not proto or term.item() != 0):
                optimised = optimised + LAMBDA[name] * term / term.detach()
                logged = logged + LAMBDA[name] * term.detach()
    opt.zero_grad()
    optimised.backward()
    if it >= WARMUP:
        with torch.no_grad():
            for i in range(levels):
                p = F.softmax(out_u[i], 1)
                for cls, thr in ((1, thr_fg), (0, thr_bg)):
                    sel = pseudo[i] == cls
                    if sel.any():
                        thr[i] = min(max(THR_DECAY * thr[i] + (1 - THR_DECAY) * p[:, cls][sel].mean().item(),
                                         THR_LOW), THR_HIGH)
    opt.step()
    alpha = min(1 - 1 / (it + 1), EMA_DECAY)
    with torch.no_grad():
        for t, p in zip(teacher.parameters(), student.parameters()):
            t.mul_(alpha).add_(p, alpha=1 - alpha)
    return float(logged)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--patch', default='112,112,80')
    ap.add_argument('--base-filters', type=int, default=16)
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--device', default='cuda')
    a = ap.parse_args()
    patch = tuple(int(v) for v in a.patch.split(','))
    dev = torch.device(a.device)
    torch.manual_seed(1337)
    torch.backends.cudnn.benchmark = True
    student = VNet(n_filters=a.base_filters, has_dropout=True).to(dev).train()
    teacher = VNet(n_filters=a.base_filters, has_dropout=True).to(dev).train()
    for p in teacher.parameters():
        p.requires_grad_(False)
    opt = torch.optim.SGD(student.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    x_lab = torch.randn(2, 1, *patch, device=dev)
    x_unl = torch.randn(2, 1, *patch, device=dev)
    grid = torch.stack(torch.meshgrid(*[torch.arange(n, device=dev, dtype=torch.float32) - n / 2 for n in patch],
                                      indexing='ij')).pow(2).sum(0)
    y_lab = (grid < 20 * 20).to(torch.uint8).expand(2, *patch).contiguous()
    w = torch.tensor([0.4, 0.6], device=dev)
    thr_bg, thr_fg = [0.5] * 4, [0.5] * 4
    times = []
    for k in range(-2, a.runs):
        if dev.type == 'cuda':
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        iteration(student, teacher, opt, thr_bg, thr_fg, x_lab, y_lab, x_unl, w, WARMUP + k + 2)
        if dev.type == 'cuda':
            torch.cuda.synchronize()
        if k >= 0:
            times.append((time.perf_counter() - t0) * 1e3)
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'
    print(f'torch {torch.__version__} on {name}: median {statistics.median(times):.2f} ms, '
          f'min {min(times):.2f}, max {max(times):.2f} over {len(times)} iterations')
    print(f'RESULT torch_ducisc_step {statistics.median(times):.2f}')


if __name__ == '__main__':
    main()
