package org.ducisc.nn;

import java.util.ArrayList;
import java.util.List;
import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * The reference's {@code nn.Sequential} of (conv, batch norm, ReLU) triples: stage j has its
 * convolution at index 3j and its batch norm at 3j+1, so the state-dict names match PyTorch's
 * ({@code conv.3.weight}, {@code conv.4.running_var}). The ReLU is fused into the batch norm.
 */
final class ConvStack extends Module {
    private final List<Conv3d> convs = new ArrayList<>();
    private final List<BatchNorm3d> norms = new ArrayList<>();

    private ConvStack(Device device) {
        super(device);
    }

    /** {@code stages} stride-1 3x3x3 stages, the first mapping in to out channels. */
    static ConvStack stages(int stages, int in, int out, Device device, Rng rng) {
        ConvStack s = new ConvStack(device);
        for (int j = 0; j < stages; j++) {
            s.add(new Conv3d(j == 0 ? in : out, out, 3, 1, 1, false, device, rng), out, device);
        }
        return s;
    }

    /** One 2x2x2 stride-2 stage: a down-convolution, or with {@code transposed} an up-convolution. */
    static ConvStack resample(int in, int out, boolean transposed, Device device, Rng rng) {
        ConvStack s = new ConvStack(device);
        s.add(new Conv3d(in, out, 2, 2, 0, transposed, device, rng), out, device);
        return s;
    }

    private void add(Conv3d conv, int channels, Device device) {
        int index = 3 * convs.size();
        convs.add(addChild(String.valueOf(index), conv));
        norms.add(addChild(String.valueOf(index + 1), new BatchNorm3d(channels, device)));
    }

    /**
     * The stages in order. In eval mode without gradients (inference) each batch norm is folded
     * into its convolution and the ReLU fused into the convolution's output
     * ({@link BatchNorm3d#foldInto}): one pass over the activations per stage instead of three.
     * Otherwise the activations inside the stack are {@linkplain Variable#release() released}: freed
     * at once without gradients, after their backward rule with them.
     */
    Variable forward(Variable x) {
        if (!isTraining() && !GradMode.isEnabled()) {
            return Variable.constant(forwardFolded(x.value()));
        }
        Variable h = x;
        for (int j = 0; j < convs.size(); j++) {
            Variable conv = convs.get(j).forward(h);
            Variable next = norms.get(j).forward(conv, true);
            // Each stage's convolution output and the activations between stages are read by nothing else.
            conv.release();
            if (h != x) {
                h.release();
            }
            h = next;
        }
        return h;
    }

    private Tensor forwardFolded(Tensor x) {
        Tensor h = x;
        for (int j = 0; j < convs.size(); j++) {
            Tensor[] folded = norms.get(j).foldInto(convs.get(j));
            try (Tensor w = folded[0]; Tensor b = folded[1]) {
                Tensor next = convs.get(j).forwardFoldedRelu(h, w, b);
                if (h != x) {
                    h.close();
                }
                h = next;
            }
        }
        return h;
    }
}
