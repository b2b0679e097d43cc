package org.ducisc.core;

import java.nio.file.Path;

/**
 * A new training run would replace the run already in its folder (its configuration, log, metrics,
 * checkpoints or state). The message names the folder and the run files found there, in neutral words
 * (continue it, write the new run elsewhere, or discard the old one first); {@link #dir()} lets a front end
 * name its own options for those.
 */
public final class ExistingRunException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final transient Path dir;

    public ExistingRunException(Path dir, String message) {
        super(message);
        this.dir = dir;
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }
}
