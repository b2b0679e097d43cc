package org.ducisc.cli;

import java.util.Locale;
import java.util.Map;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.core.Device;
import org.ducisc.runtime.Backends;

/** Parsing of option values shared by the commands. */
final class Options {
    private Options() {
    }

    /** "W,H,D" as three positive sizes, or an error naming the option. */
    static int[] parseSize(String option, String text) {
        String[] parts = text.split(",");
        if (parts.length != 3) {
            throw new IllegalArgumentException(option + " must be W,H,D (three sizes), got '" + text + "'");
        }
        int[] size = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                size[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be W,H,D (three sizes), got '" + text + "'");
            }
            if (size[i] < 1) {
                throw new IllegalArgumentException(option + " sizes must be >= 1, got '" + text + "'");
            }
        }
        return size;
    }

    /** Work that may fail with a library message naming an option in neutral words. */
    interface Action<T> {
        T run() throws java.io.IOException, InterruptedException;
    }

    /**
     * The library's neutral setting names as train's (and the demo's) flags: the config.json names that
     * {@link InvalidSettingException#setting()} gives and the phrases other library messages start with
     * ("max iterations", "padding off"). A config.json name not listed is its flag with '_' as '-'.
     */
    private static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("labelnum", "--labelnum"), Map.entry("max iterations", "--max-iterations"),
            Map.entry("base filters", "--base-filters"), Map.entry("checkpoint interval", "--checkpoint-every"),
            Map.entry("validation start", "--val-start"), Map.entry("validation interval", "--val-every"),
            Map.entry("warmup", "--warmup"), Map.entry("lamda_teacher", "--lamda-teacher"),
            Map.entry("lamda_mix", "--lamda-mix"), Map.entry("lamda_proto", "--lamda-proto"),
            Map.entry("lamda_mix_proto", "--lamda-mix-proto"), Map.entry("prototype levels", "--proto-levels"),
            Map.entry("learning rate", "--base-lr"), Map.entry("lr", "--base-lr"), Map.entry("EMA decay", "--ema-decay"),
            Map.entry("fixed threshold", "--fixed-threshold"), Map.entry("threshold_init", "--fixed-threshold"),
            Map.entry("patch", "--patch"), Map.entry("padding off", "--no-pad"), Map.entry("method", "--method"),
            Map.entry("seeds", "--seeds"));

    /** The flag of a neutral setting name: lr is --base-lr, threshold_init --fixed-threshold, ema_decay --ema-decay. */
    static String flag(String setting) {
        return FLAGS.getOrDefault(setting, "--" + setting.replace('_', '-'));
    }

    /**
     * A library message with the neutral setting names replaced by their flags: an
     * {@link InvalidSettingException} names its setting's flag; another message starting with (or, after
     * "; ", mentioning) a listed neutral name ("labelnum 9 is larger than ...") gets that name's flag
     * ("--labelnum 9 is larger than ..."). Returns the message unchanged when it names none.
     */
    static String translate(IllegalArgumentException e) {
        String m = String.valueOf(e.getMessage());
        String translated;
        if (e instanceof InvalidSettingException s) {
            translated = flag(s.setting()) + " " + s.problem();
        } else {
            String best = null;
            for (String name : FLAGS.keySet()) {
                if ((m.startsWith(name + " ") || m.startsWith(name + ":")) && (best == null || name.length() > best.length())) {
                    best = name;
                }
            }
            translated = best == null ? m : FLAGS.get(best) + m.substring(best.length());
        }
        for (var f : FLAGS.entrySet()) {
            translated = translated.replace("; " + f.getKey() + " ", "; " + f.getValue() + " ");
        }
        return translated;
    }

    /**
     * Runs {@code action}; an IllegalArgumentException from the library that names a setting in neutral
     * words is rethrown with the flags instead ({@link #translate}). Other messages pass unchanged.
     */
    static <T> T withFlags(Action<T> action) throws java.io.IOException, InterruptedException {
        try {
            return action.run();
        } catch (IllegalArgumentException e) {
            String translated = translate(e);
            if (translated.equals(e.getMessage())) {
                throw e;
            }
            throw new IllegalArgumentException(translated, e);
        }
    }

    /**
     * The device of --device NAME (auto, cpu, cuda, cuda:N) or the reference's --gpu N (= cuda:N), opened
     * and checked; an unusable one is an error naming the option and the reason in one line.
     */
    static Backends.Selection selectDevice(String device, Integer gpu) {
        String name = device;
        String option = "--device " + device;
        if (gpu != null) {
            name = "cuda:" + gpu;
            option = "--gpu " + gpu;
            boolean auto = device.trim().toLowerCase(Locale.ROOT).equals("auto");
            if (!auto && !parseDevice(option, device).equals(Device.cuda(gpu))) {
                throw new IllegalArgumentException("--device " + device + " and --gpu " + gpu + " name different devices");
            }
        }
        if (!name.trim().toLowerCase(Locale.ROOT).equals("auto")) {
            parseDevice(option, name);
        }
        try {
            return Backends.select(name);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    private static Device parseDevice(String option, String name) {
        try {
            return Device.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": unknown device (expected auto, cpu, cuda, cuda:N or cuda-emu)", e);
        }
    }
}
