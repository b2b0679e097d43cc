/**
 * File formats, in one place: NIfTI-1 ({@link org.ducisc.io.Nifti}), NRRD ({@link org.ducisc.io.Nrrd}),
 * the reference's HDF5 case files ({@link org.ducisc.io.H5Volumes}), safetensors checkpoints
 * ({@link org.ducisc.io.Safetensors}), JSON ({@link org.ducisc.io.Json}), TensorBoard event files
 * ({@link org.ducisc.io.EventWriter}), and the engine's one atomic-write helper
 * ({@link org.ducisc.io.FileBytes}). Volumes are {@link org.ducisc.io.Volume}s: C-order (X, Y, Z),
 * Z fastest. Readers throw {@link org.ducisc.io.VolumeFormatException} (an IOException) naming the
 * file and what is wrong. This package may use {@code core} and {@code tensor} (safetensors reads and
 * writes tensors) and nothing above them.
 */
package org.ducisc.io;
