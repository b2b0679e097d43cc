/**
 * Reverse-mode automatic differentiation over {@link org.ducisc.tensor.Tensor}s:
 * {@link org.ducisc.autograd.Variable} records the graph, {@link org.ducisc.autograd.GradMode} turns
 * recording off.
 *
 * <p><b>Naming rule for the tensor/autograd twins.</b> An op family has one name. Its tensor class in
 * {@code org.ducisc.tensor} carries that name ({@code Elementwise}, {@code Layout}, {@code Channels},
 * {@code Normalization}, {@code Reductions}, {@code Resampling}, {@code Convolutions}); its differentiable
 * twin here is the same name with the suffix {@code Grad} ({@code ElementwiseGrad}, {@code LayoutGrad},
 * {@code ChannelsGrad}, {@code NormalizationGrad}, {@code ReductionsGrad}, {@code ResamplingGrad},
 * {@code ConvolutionsGrad}), with the same method names (PyTorch's op names), taking and returning
 * {@link org.ducisc.autograd.Variable}s. Classes without a tensor twin ({@code Losses}, {@code Dropout})
 * keep their plain names. No class name is used in two packages.
 */
package org.ducisc.autograd;
