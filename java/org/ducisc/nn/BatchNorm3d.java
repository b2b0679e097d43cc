package org.ducisc.nn;

import org.ducisc.autograd.NormalizationGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/** PyTorch BatchNorm3d (eps 1e-5, momentum 0.1, affine, running statistics), optionally fused with the ReLU after it. */
public final class BatchNorm3d extends Module {
    static final double EPS = 1e-5;
    static final double MOMENTUM = 0.1;

    private final Variable weight;
    private final Variable bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Counter batchesTracked;

    public BatchNorm3d(int channels, Device device) {
        weight = addParameter("weight", MemoryScope.unscoped(() -> Tensor.full(device, DType.FLOAT32, 1, channels)));
        bias = addParameter("bias", MemoryScope.unscoped(() -> Tensor.zeros(device, channels)));
        runningMean = addBuffer("running_mean", MemoryScope.unscoped(() -> Tensor.zeros(device, channels)));
        runningVar = addBuffer("running_var",
                MemoryScope.unscoped(() -> Tensor.full(device, DType.FLOAT32, 1, channels)));
        batchesTracked = addCounter("num_batches_tracked");
    }

    /** Normalises x; in training mode also updates the running statistics. */
    public Variable forward(Variable x, boolean relu) {
        if (isTraining()) {
            batchesTracked.increment();
        }
        return NormalizationGrad.batchNorm3d(x, weight, bias, runningMean, runningVar, isTraining(), MOMENTUM, EPS, relu);
    }
}
