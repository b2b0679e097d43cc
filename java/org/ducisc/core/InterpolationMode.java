package org.ducisc.core;

/** Resampling of 5D tensors as PyTorch's F.interpolate does it. */
public enum InterpolationMode {
    /** source index floor(dst * in / out) */
    NEAREST,
    /** align_corners=False: source coordinate (dst + 0.5) * in / out - 0.5, clamped at 0 */
    TRILINEAR
}
