package org.ducisc.data;

/**
 * Names read from files (case names of list files, dataset names) as messages print them: in single
 * quotes, with every character that would not show as itself escaped, so an invisible byte order
 * mark, control character or non-breaking space cannot hide inside the quotes.
 */
public final class Names {
    private Names() {}

    /**
     * {@code name} in single quotes; characters outside printable ASCII become {@code \\uXXXX} (Java
     * escape syntax), and a backslash or quote is escaped too.
     */
    public static String quoted(String name) {
        StringBuilder b = new StringBuilder(name.length() + 2).append('\'');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\' || c == '\'') {
                b.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7F) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04X", (int) c));
            }
        }
        return b.append('\'').toString();
    }
}
