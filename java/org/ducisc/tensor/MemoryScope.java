package org.ducisc.tensor;

import java.util.ArrayList;

/**
 * Deterministic lifetime for tensors. Every tensor created on a thread while a scope is open
 * there belongs to the innermost scope and is closed with it, so a training iteration wrapped in
 * a scope frees all of its intermediates at its end:
 *
 * <pre>{@code
 * try (MemoryScope iteration = MemoryScope.open()) {
 *     ... forward, backward, update ...
 *     Tensor kept = iteration.keep(something);   // survives: now owned by the enclosing scope
 * }
 * }</pre>
 *
 * A tensor created with no scope open is owned by its creator, who closes it.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<MemoryScope> CURRENT = new ThreadLocal<>();

    private final MemoryScope parent;
    private final Thread owner;
    private ArrayList<Tensor> owned = new ArrayList<>();

    private MemoryScope(MemoryScope parent) {
        this.parent = parent;
        this.owner = Thread.currentThread();
    }

    public static MemoryScope open() {
        MemoryScope s = new MemoryScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    static void adopt(Tensor t) {
        MemoryScope s = CURRENT.get();
        if (s != null) {
            s.owned.add(t);
        }
    }

    /**
     * Hands {@code t} to the enclosing scope (or, with none, to the caller), so it outlives this
     * one. Returns {@code t}.
     */
    public <T extends Tensor> T keep(T t) {
        checkOpen();
        if (!owned.remove(t)) {
            throw new IllegalArgumentException("keep: the tensor " + t + " does not belong to this scope");
        }
        if (parent != null) {
            parent.owned.add(t);
        }
        return t;
    }

    /** Runs {@code action} with no scope open, so the tensors it creates belong to the caller. */
    public static <T> T unscoped(java.util.function.Supplier<T> action) {
        MemoryScope saved = CURRENT.get();
        CURRENT.remove();
        try {
            return action.get();
        } finally {
            CURRENT.set(saved);
        }
    }

    private void checkOpen() {
        if (owned == null) {
            throw new IllegalStateException("memory scope already closed");
        }
    }

    @Override
    public void close() {
        if (owned == null) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a memory scope must be closed on the thread that opened it");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("memory scopes must be closed innermost first");
        }
        CURRENT.set(parent);
        ArrayList<Tensor> list = owned;
        owned = null;
        for (int i = list.size() - 1; i >= 0; i--) {
            list.get(i).close();
        }
    }
}
