package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Asserts that a call rejects its arguments with a message that names the op and the culprit. */
public final class BadInput {
    private BadInput() {
    }

    public static void fails(String op, String detail, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains(detail),
                "message should name '" + op + "' and '" + detail + "': " + e.getMessage());
    }
}
