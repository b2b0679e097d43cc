package org.ducisc.core;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Volume and patch sizes in messages, as the field writes them: W x H x D voxels ("112x112x80"). */
public final class Sizes {
    private Sizes() {
    }

    /** The sides joined by "x" ("32x32x16"; "7" for one side; "" for none). */
    public static String of(int... sides) {
        return Arrays.stream(sides).mapToObj(String::valueOf).collect(Collectors.joining("x"));
    }
}
