package org.ducisc.nn;

import java.util.List;
import org.ducisc.autograd.Dropout;
import org.ducisc.autograd.ElementwiseGrad;
import org.ducisc.autograd.GradMode;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * The V-Net of the DuCiSC reference (method page, section 2): four stride-2 levels, batch norm,
 * ReLU, no residuals; with deep supervision it adds 1x1x1 heads on the decoder's x5_up, x6_up and
 * x7_up and returns the decoder features used for the prototypes. Parameter names and order are
 * those of the PyTorch state dict. As a {@link Predictor} it gives the full-resolution logits in eval mode.
 */
public final class VNet extends Module implements Predictor {
    /** Spatial sizes must be multiples of this (four stride-2 levels). */
    public static final int SIZE_MULTIPLE = 16;
    /**
     * The most base filters a V-Net may have: 128 gives 16 x 128 = 2048 channels at the deepest level
     * and about 600 million weights (the reference uses 16); more would overflow the sizes of its tensors.
     */
    public static final int MAX_BASE_FILTERS = 128;
    /** The most input channels or classes. */
    public static final int MAX_CHANNELS = 256;
    static final double DROPOUT_P = 0.5;

    /** Network options; {@link #defaults()} is the reference's DuCiSC V-Net. */
    public record Config(int inChannels, int classes, int baseFilters, boolean dropout, boolean deepSupervision) {
        public Config {
            if (inChannels < 1 || inChannels > MAX_CHANNELS || classes < 2 || classes > MAX_CHANNELS || baseFilters < 1
                    || baseFilters > MAX_BASE_FILTERS) {
                throw new IllegalArgumentException("V-Net needs 1.." + MAX_CHANNELS + " input channels, 2.." + MAX_CHANNELS
                        + " classes and 1.." + MAX_BASE_FILTERS + " base filters; got " + inChannels + ", " + classes + ", "
                        + baseFilters);
            }
        }

        public static Config defaults() {
            return new Config(1, 2, 16, true, true);
        }

        public Config withBaseFilters(int f) {
            return new Config(inChannels, classes, f, dropout, deepSupervision);
        }

        public Config withDropout(boolean on) {
            return new Config(inChannels, classes, baseFilters, on, deepSupervision);
        }
    }

    /**
     * The forward results. {@code outputs}: with deep supervision the four heads, coarsest (1/8)
     * first and full resolution last; without it only the full-resolution output.
     * {@code features}: [x8_up, x7_up, x6_up, x5_up], full resolution first.
     */
    public record Output(List<Variable> outputs, List<Variable> features) {
        /** The full-resolution logits. */
        public Variable logits() {
            return outputs.get(outputs.size() - 1);
        }
    }

    private final Config config;
    private final Rng dropoutRng;
    private final ConvStack blockOne;
    private final ConvStack blockOneDw;
    private final ConvStack blockTwo;
    private final ConvStack blockTwoDw;
    private final ConvStack blockThree;
    private final ConvStack blockThreeDw;
    private final ConvStack blockFour;
    private final ConvStack blockFourDw;
    private final ConvStack blockFive;
    private final ConvStack blockFiveUp;
    private final ConvStack blockSix;
    private final ConvStack blockSixUp;
    private final ConvStack blockSeven;
    private final ConvStack blockSevenUp;
    private final ConvStack blockEight;
    private final ConvStack blockEightUp;
    private final ConvStack blockNine;
    private final Conv3d outConv;
    private final Conv3d outConv2;
    private final Conv3d outConv3;
    private final Conv3d outConv4;

    /**
     * Builds the network on {@code device}, initialising parameters from {@code initRng}; dropout
     * masks are drawn from {@code dropoutRng}.
     */
    public VNet(Config config, Device device, Rng initRng, Rng dropoutRng) {
        super(device);
        this.config = config;
        this.dropoutRng = dropoutRng;
        int nf = config.baseFilters();
        blockOne = block("block_one", ConvStack.stages(1, config.inChannels(), nf, device, initRng));
        blockOneDw = block("block_one_dw", ConvStack.resample(nf, 2 * nf, false, device, initRng));
        blockTwo = block("block_two", ConvStack.stages(2, 2 * nf, 2 * nf, device, initRng));
        blockTwoDw = block("block_two_dw", ConvStack.resample(2 * nf, 4 * nf, false, device, initRng));
        blockThree = block("block_three", ConvStack.stages(3, 4 * nf, 4 * nf, device, initRng));
        blockThreeDw = block("block_three_dw", ConvStack.resample(4 * nf, 8 * nf, false, device, initRng));
        blockFour = block("block_four", ConvStack.stages(3, 8 * nf, 8 * nf, device, initRng));
        blockFourDw = block("block_four_dw", ConvStack.resample(8 * nf, 16 * nf, false, device, initRng));
        blockFive = block("block_five", ConvStack.stages(3, 16 * nf, 16 * nf, device, initRng));
        blockFiveUp = block("block_five_up", ConvStack.resample(16 * nf, 8 * nf, true, device, initRng));
        blockSix = block("block_six", ConvStack.stages(3, 8 * nf, 8 * nf, device, initRng));
        blockSixUp = block("block_six_up", ConvStack.resample(8 * nf, 4 * nf, true, device, initRng));
        blockSeven = block("block_seven", ConvStack.stages(3, 4 * nf, 4 * nf, device, initRng));
        blockSevenUp = block("block_seven_up", ConvStack.resample(4 * nf, 2 * nf, true, device, initRng));
        blockEight = block("block_eight", ConvStack.stages(2, 2 * nf, 2 * nf, device, initRng));
        blockEightUp = block("block_eight_up", ConvStack.resample(2 * nf, nf, true, device, initRng));
        blockNine = block("block_nine", ConvStack.stages(1, nf, nf, device, initRng));
        outConv = addChild("out_conv", new Conv3d(nf, config.classes(), 1, 1, 0, false, device, initRng));
        if (config.deepSupervision()) {
            outConv2 = addChild("out_conv_2", new Conv3d(2 * nf, config.classes(), 1, 1, 0, false, device, initRng));
            outConv3 = addChild("out_conv_3", new Conv3d(4 * nf, config.classes(), 1, 1, 0, false, device, initRng));
            outConv4 = addChild("out_conv_4", new Conv3d(8 * nf, config.classes(), 1, 1, 0, false, device, initRng));
        } else {
            outConv2 = null;
            outConv3 = null;
            outConv4 = null;
        }
    }

    /** The reference block layout: a module whose only child is the stage sequence named "conv". */
    private ConvStack block(String name, ConvStack stack) {
        addChild(name, new Block(stack));
        return stack;
    }

    private static final class Block extends Module {
        Block(ConvStack stages) {
            super(stages.device());
            addChild("conv", stages);
        }
    }

    public Config config() {
        return config;
    }

    public Rng dropoutRng() {
        return dropoutRng;
    }

    /**
     * The forward pass of {@code input} (N, C, W, H, D). Only the returned outputs and features stay
     * readable: every other activation is {@linkplain Variable#release() released} once its last
     * consumer has run (freed at once without gradients, after its backward rule with them).
     */
    public Output forward(Variable input) {
        checkInput(input.shape());
        Variable x1 = blockOne.forward(input);
        Variable x2 = last(blockTwo, blockOneDw.forward(x1));
        Variable x3 = last(blockThree, blockTwoDw.forward(x2));
        Variable x4 = last(blockFour, blockThreeDw.forward(x3));
        Variable x5 = dropoutLast(last(blockFive, blockFourDw.forward(x4)));

        Variable x5Up = addLast(last(blockFiveUp, x5), x4);
        Variable x6Up = addLast(last(blockSixUp, blockSix.forward(x5Up)), x3);
        Variable x7Up = addLast(last(blockSevenUp, blockSeven.forward(x6Up)), x2);
        Variable x8Up = addLast(last(blockEightUp, blockEight.forward(x7Up)), x1);
        Variable x9 = dropoutLast(blockNine.forward(x8Up));
        Variable out = outConv.forward(x9);
        x9.release();
        List<Variable> features = List.of(x8Up, x7Up, x6Up, x5Up);
        if (!config.deepSupervision()) {
            return new Output(List.of(out), features);
        }
        return new Output(List.of(outConv4.forward(x5Up), outConv3.forward(x6Up), outConv2.forward(x7Up), out),
                features);
    }

    /** {@code stack} applied to the activation x, whose last use this is. */
    private static Variable last(ConvStack stack, Variable x) {
        Variable y = stack.forward(x);
        x.release();
        return y;
    }

    /** up + skip, the last use of both activations (a decoder level's skip connection). */
    private static Variable addLast(Variable up, Variable skip) {
        Variable y = ElementwiseGrad.add(up, skip);
        up.release();
        skip.release();
        return y;
    }

    /** Dropout of the activation x, whose last use this is (x itself when dropout is off). */
    private Variable dropoutLast(Variable x) {
        Variable y = dropout(x);
        if (y != x) {
            x.release();
        }
        return y;
    }

    /**
     * Inference: the full-resolution logits (N, classes, W, H, D) of {@code windows} (N, inChannels, W, H, D)
     * on this network's device, computed in eval mode without gradients; the train/eval mode in force before
     * the call is restored after it.
     *
     * @throws IllegalArgumentException for a shape {@link #checkInput} rejects
     */
    @Override
    public Tensor logits(Tensor windows) {
        boolean wasTraining = isTraining();
        eval();
        try (GradMode noGrad = GradMode.disabled()) {
            Output out = forward(Variable.constant(windows));
            for (Variable v : out.features()) {
                v.release(); // without gradients: freed now
            }
            for (Variable v : out.outputs()) {
                if (v != out.logits()) {
                    v.release();
                }
            }
            return out.logits().value();
        } finally {
            train(wasTraining);
        }
    }

    private Variable dropout(Variable x) {
        return config.dropout() ? Dropout.dropout3d(x, DROPOUT_P, isTraining(), dropoutRng) : x;
    }

    /** Rejects inputs the four stride-2 levels cannot take, naming the offending size. */
    public void checkInput(long[] shape) {
        if (shape.length != 5 || shape[1] != config.inChannels()) {
            throw new IllegalArgumentException("V-Net input must be (N, " + config.inChannels() + ", W, H, D), got "
                    + java.util.Arrays.toString(shape));
        }
        for (int a = 2; a < 5; a++) {
            if (shape[a] % SIZE_MULTIPLE != 0 || shape[a] == 0) {
                throw new IllegalArgumentException("V-Net input size " + java.util.Arrays.toString(
                        java.util.Arrays.copyOfRange(shape, 2, 5)) + ": every spatial size must be a positive multiple of "
                        + SIZE_MULTIPLE + " (four stride-2 levels), and " + shape[a] + " is not");
            }
        }
    }
}
