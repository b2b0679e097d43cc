package org.ducisc.autograd;

/** Per-thread switch for graph recording: inside {@code try (var g = GradMode.disabled())} ops record nothing. */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<int[]> DISABLED_DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private boolean closed;

    private GradMode() {
        DISABLED_DEPTH.get()[0]++;
    }

    public static GradMode disabled() {
        return new GradMode();
    }

    public static boolean isEnabled() {
        return DISABLED_DEPTH.get()[0] == 0;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            DISABLED_DEPTH.get()[0]--;
        }
    }
}
