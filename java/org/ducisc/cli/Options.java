package org.ducisc.cli;

import java.util.Locale;
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
