package org.ducisc.nn;

import org.ducisc.tensor.Tensor;

/**
 * What sliding-window inference calls for each batch of windows: the {@code predictor} argument of MONAI's
 * {@code sliding_window_inference(inputs, roi_size, sw_batch_size, predictor, ...)}. A trained
 * {@link VNet} is one (in eval mode, without gradients); tests pass a lambda.
 */
@FunctionalInterface
public interface Predictor {
    /**
     * The logits of a batch of windows.
     *
     * @param windows float32 (N, 1, W, H, D), on the device the caller said the predictor runs on
     * @return float32 logits (N, C, W, H, D) on the same device, channel 1 the foreground; allocated in the
     *         caller's {@link org.ducisc.tensor.MemoryScope} (freed when it closes)
     * @throws IllegalArgumentException if the predictor cannot take windows of this shape
     */
    Tensor logits(Tensor windows);
}
