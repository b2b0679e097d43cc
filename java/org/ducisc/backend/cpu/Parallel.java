package org.ducisc.backend.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The one thread pool of the CPU backend, sized to the cores (system property ducisc.threads
 * overrides). Work is split into numbered tasks whose results never depend on which thread ran
 * them, so a computation is bitwise reproducible for a given task split.
 */
public final class Parallel {
    public static final int THREADS = threadCount();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1,
            pool -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("ducisc-cpu-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false) : null;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private Parallel() {
    }

    private static int threadCount() {
        String text = System.getProperty("ducisc.threads");
        if (text == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        int n;
        try {
            n = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new IllegalArgumentException("system property ducisc.threads=" + text
                    + ": the CPU thread count must be a whole number >= 1");
        }
        return n;
    }

    /** Runs body(i) for every i in [0, tasks), spread over the pool and the calling thread. */
    public static void forEach(int tasks, IntConsumer body) {
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || POOL == null || INSIDE.get()) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int helpers = Math.min(THREADS - 1, tasks - 1);
        CountDownLatch done = new CountDownLatch(helpers);
        Runnable worker = () -> {
            INSIDE.set(true);
            try {
                for (int i = next.getAndIncrement(); i < tasks && failure.get() == null; i = next.getAndIncrement()) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                INSIDE.set(false);
            }
        };
        for (int h = 0; h < helpers; h++) {
            POOL.execute(() -> {
                try {
                    worker.run();
                } finally {
                    done.countDown();
                }
            });
        }
        worker.run();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for CPU workers", e);
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    /** Splits [0, n) into chunks of at least {@code grain} elements and runs body(start, end) on each. */
    public static void forRange(long n, long grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        long chunks = Math.max(1, Math.min((long) THREADS * 4, n / Math.max(1, grain)));
        long step = (n + chunks - 1) / chunks;
        int tasks = (int) ((n + step - 1) / step);
        forEach(tasks, i -> body.run(i * step, Math.min(n, (i + 1) * step)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(long start, long end);
    }
}
