package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.ReductionsGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.Device;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The V-Net's activations go back to the pool as soon as nothing can read them, as PyTorch frees
 * them: without gradients (a teacher pass, inference) during the forward pass, with gradients when
 * backward has passed them. Only what the forward returns (outputs, features) stays. Each network
 * here is tiny (2 base filters, 2 x 1 x 32 x 16 x 16, seed 11), so the bytes counted are exact.
 */
class ActivationReleaseTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    @Test
    void aPassWithoutGradientsKeepsOnlyWhatItReturns() {
        for (boolean training : new boolean[] {true, false}) {
            try (VNet net = net(); MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.disabled()) {
                if (!training) {
                    net.eval();
                }
                Tensor x = Tensor.normal(Device.CPU, new Rng(11), 0, 1, 2, 1, 32, 16, 16);
                long before = CPU.liveBytes();
                CPU.resetPeak();
                VNet.Output out = net.forward(Variable.constant(x));
                long kept = CPU.liveBytes() - before;
                long returned = bytes(out);
                assertTrue(kept <= returned, (training ? "training" : "eval") + ": " + kept
                        + " bytes stay after the pass, the outputs and features are " + returned);
                long peak = CPU.peakLiveBytes() - before;
                assertTrue(peak < 2 * returned + (2L << 20), "peak " + peak + " bytes for " + returned + " returned");
            }
        }
    }

    @Test
    void backwardFreesTheActivationsItHasPassed() {
        try (VNet net = net(); MemoryScope scope = MemoryScope.open()) {
            Tensor x = Tensor.normal(Device.CPU, new Rng(11), 0, 1, 2, 1, 32, 16, 16);
            long before = CPU.liveBytes();
            VNet.Output out = net.forward(Variable.constant(x));
            Variable loss = null;
            for (Variable o : out.outputs()) {
                Variable s = ReductionsGrad.sumAll(o);
                loss = loss == null ? s : ElementwiseGrad.add(loss, s);
            }
            long afterForward = CPU.liveBytes() - before;
            loss.backward();
            long afterBackward = CPU.liveBytes() - before;
            long grads = 0;
            for (Variable p : net.parameters()) {
                grads += rounded(p.grad().byteSize());
            }
            // What may stay: outputs, features, parameter gradients, the loss scalars and the two dropout
            // masks (N x C floats at the deepest level and at full resolution; 64-byte blocks).
            long allowed = bytes(out) + grads + 8 * 64 + rounded(2 * 32 * 4) + rounded(2 * 2 * 4);
            assertTrue(afterBackward <= allowed, afterBackward + " bytes stay after backward (" + afterForward
                    + " after forward), at most " + allowed + " expected");
            for (Variable p : net.parameters()) {
                p.zeroGrad();
            }
        }
    }

    private static VNet net() {
        return new VNet(new VNet.Config(1, 2, 2, true, true), Device.CPU, new Rng(1), new Rng(2));
    }

    private static long bytes(VNet.Output out) {
        long b = 0;
        for (Variable v : out.outputs()) {
            b += rounded(v.value().byteSize());
        }
        for (Variable v : out.features()) {
            b += rounded(v.value().byteSize());
        }
        return b;
    }

    /** The pool's allocation size: a multiple of 64 bytes. */
    private static long rounded(long bytes) {
        return (Math.max(bytes, 1) + 63) & ~63L;
    }
}
