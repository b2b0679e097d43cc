package org.ducisc.cli;

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
}
