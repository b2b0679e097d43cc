package org.ducisc.core;

/** Counts in messages: "1 case", "2 cases", "0 cases" (English plural: the noun plus "s"). */
public final class Counts {
    private Counts() {
    }

    /**
     * {@code n} and the noun, singular for exactly one ("1 case"), plural otherwise ("0 cases", "3 cases").
     *
     * @param singular the noun in the singular, made plural by adding "s" ("case", "seed", "labeled case")
     */
    public static String of(long n, String singular) {
        return n + " " + (n == 1 ? singular : singular + "s");
    }
}
