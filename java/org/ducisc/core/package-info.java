/**
 * The engine's shared vocabulary, the bottom layer every other package may import: where a tensor
 * lives ({@link org.ducisc.core.Device}), what it holds ({@link org.ducisc.core.DType}) and the names
 * of the primitive operations ({@link org.ducisc.core.UnaryOp}, {@link org.ducisc.core.BinaryOp},
 * {@link org.ducisc.core.CompareOp}, {@link org.ducisc.core.InterpolationMode}). It holds values only
 * and imports nothing of the engine, so no layer needs {@code backend} to name a device or an op.
 */
package org.ducisc.core;
