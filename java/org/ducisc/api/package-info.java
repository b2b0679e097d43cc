/**
 * The embedding API: segment volumes and train networks from a Java program, without the command line.
 *
 * <p><b>Stability.</b> This package is the engine's only public contract: its types and their documented
 * behaviour change only with a version bump. Everything else ({@code org.ducisc.nn}, {@code .train},
 * {@code .eval}, ...) may change in any release.
 *
 * <p><b>Entry points.</b>
 * <ul>
 *   <li>{@link org.ducisc.api.Segmenter}: a trained network loaded from a checkpoint, and
 *       {@link org.ducisc.api.Segmenter#predict(Image) predict}, which turns an {@link org.ducisc.api.Image}
 *       into a {@link org.ducisc.api.Segmentation} (label map, foreground probability, and
 *       {@link org.ducisc.api.Metrics} when a ground truth is given), and
 *       {@link org.ducisc.api.Segmenter#evaluate evaluate}, which scores it over a data set's case list
 *       as {@code ./ducisc test} does ({@link org.ducisc.api.EvaluationReport}).</li>
 *   <li>{@link org.ducisc.api.TrainingRun}: the configuration of {@code ./ducisc train}, built in code, run
 *       with a {@link org.ducisc.api.TrainingListener} and stopped cleanly with
 *       {@link org.ducisc.api.TrainingRun#stop()}.</li>
 * </ul>
 *
 * <p><b>Volumes.</b> A volume has shape (W, H, D) and is stored with D fastest: voxel (x, y, z) is
 * element {@code (x * H + y) * D + z}, the order h5py reads the reference's files in and nibabel gives
 * for NIfTI voxels (i, j, k).
 *
 * <p><b>Memory.</b> Network weights and every intermediate live off the Java heap. They are freed when
 * {@link org.ducisc.api.Segmenter#close()} is called, or when a training run returns; nothing waits for
 * the garbage collector or a finalizer. Inputs and results are plain Java arrays.
 *
 * <p><b>Threads.</b> One {@link org.ducisc.api.Segmenter} serves concurrent callers (see its class
 * comment); a {@link org.ducisc.api.TrainingRun} runs on the thread that calls
 * {@link org.ducisc.api.TrainingRun#run run}, and its {@code stop} may be called from any thread.
 *
 * <p><b>Errors and output.</b> Bad input raises {@link java.lang.IllegalArgumentException} (or
 * {@link java.io.IOException} for unreadable files) whose message names what is wrong. The library
 * never prints to the console and never exits the JVM; it logs through {@link java.lang.System.Logger}
 * under the names of these classes (routine messages at {@code DEBUG}).
 */
package org.ducisc.api;
