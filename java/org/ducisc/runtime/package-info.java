/**
 * Device selection: the one place that knows the backend implementations
 * ({@code backend.cpu}, {@code backend.cuda}) and maps a {@link org.ducisc.core.Device} to its
 * {@link org.ducisc.backend.Backend}, or a device name ("cpu", "cuda", "cuda:N", "auto") to a usable
 * device. {@code backend} itself is only the interface, so it does not depend on its implementations.
 */
package org.ducisc.runtime;
