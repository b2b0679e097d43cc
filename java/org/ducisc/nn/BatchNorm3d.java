package org.ducisc.nn;

import org.ducisc.autograd.NormalizationGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.tensor.Elementwise;
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
        super(device);
        weight = addParameter("weight", MemoryScope.unscoped(() -> Tensor.full(device, DType.FLOAT32, 1, channels)));
        bias = addParameter("bias", MemoryScope.unscoped(() -> Tensor.zeros(device, channels)));
        runningMean = addBuffer("running_mean", MemoryScope.unscoped(() -> Tensor.zeros(device, channels)));
        runningVar = addBuffer("running_var",
                MemoryScope.unscoped(() -> Tensor.full(device, DType.FLOAT32, 1, channels)));
        batchesTracked = addCounter("num_batches_tracked");
    }

    /**
     * This batch norm's eval-mode transform folded into the convolution before it:
     * w' = w*s (s along the weight's output-channel axis) and b' = (b - running_mean)*s + beta, with
     * s = gamma / sqrt(running_var + eps), so conv(x, w') + b' equals bn(conv(x, w) + b) in eval mode
     * up to float32 rounding (torch.nn.utils.fusion.fuse_conv_bn_weights). Returns {w', b'}, new
     * tensors the caller closes.
     */
    Tensor[] foldInto(Conv3d conv) {
        Tensor w = conv.weight();
        long[] sShape = {1, 1, 1, 1, 1};
        sShape[conv.outChannelAxis()] = runningMean.size(0);
        try (Tensor invStd = org.ducisc.tensor.Normalization.invStd(runningVar, EPS);
             Tensor s = Elementwise.mul(weight.value(), invStd);
             Tensor sView = s.reshape(sShape);
             Tensor centred = Elementwise.sub(conv.bias(), runningMean);
             Tensor scaled = Elementwise.mul(centred, s)) {
            return new Tensor[] {Elementwise.mul(w, sView), Elementwise.add(scaled, bias.value())};
        }
    }

    /** Normalises x; in training mode also updates the running statistics. */
    public Variable forward(Variable x, boolean relu) {
        if (isTraining()) {
            batchesTracked.increment();
        }
        return NormalizationGrad.batchNorm3d(x, weight, bias, runningMean, runningVar, isTraining(), MOMENTUM, EPS, relu);
    }
}
