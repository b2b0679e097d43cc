package org.ducisc.data;

import java.util.List;
import org.ducisc.tensor.Tensor;

/**
 * One training batch from a {@link BatchLoader}: {@code image} is float32 (N, 1, W, H, D) with the
 * labeled cases first, then the unlabeled ones (N = labeled + unlabeled batch); {@code label} is
 * uint8 (labeled batch, W, H, D) and covers the labeled cases only, since the labels of unlabeled
 * cases are never read. The tensors belong to whoever takes the batch: close it (or adopt its
 * tensors into a scope) when the iteration is done.
 */
public record TrainBatch(long iteration, long epoch, List<String> labeledCases, List<String> unlabeledCases,
        Tensor image, Tensor label) implements AutoCloseable {
    public TrainBatch {
        labeledCases = List.copyOf(labeledCases);
        unlabeledCases = List.copyOf(unlabeledCases);
    }

    @Override
    public void close() {
        image.close();
        label.close();
    }
}
