package org.ducisc.core;

/**
 * A training setting outside its valid range. The message is the setting's name as config.json
 * spells it, then the problem ("ema_decay must be in [0, 1], got 2.0"); {@link #setting()} lets a
 * front end name its own spelling of the setting instead.
 */
public final class InvalidSettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String setting;
    private final String problem;

    public InvalidSettingException(String setting, String problem) {
        super(setting + " " + problem);
        this.setting = setting;
        this.problem = problem;
    }

    /** The setting's config.json name, e.g. {@code base_filters}. */
    public String setting() {
        return setting;
    }

    /** What is wrong, without the setting's name, e.g. "must be in [0, 1], got 2.0". */
    public String problem() {
        return problem;
    }
}
