package org.ducisc.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Independent jobs (training runs) side by side: up to {@code parallel} at a time, each on its own daemon
 * thread, started in list order (a FIFO pool), their results returned in list order.
 */
public final class SideBySide {
    private SideBySide() {
    }

    /**
     * Runs {@code jobs}, {@code parallel} at a time, and returns their results in order (a job may return
     * null). When a job fails, {@code onFailure} runs once (to ask the others to stop), every job already
     * started is waited for, and the first failure is rethrown as it was (IOException, InterruptedException,
     * unchecked), or wrapped in an IllegalStateException.
     *
     * @param parallel jobs at a time, >= 1
     * @throws IllegalArgumentException {@code parallel} is below 1
     */
    public static <T> List<T> run(List<? extends Callable<T>> jobs, int parallel, String threadName, Runnable onFailure)
            throws IOException, InterruptedException {
        if (parallel < 1) {
            throw new IllegalArgumentException("jobs at a time must be at least 1, got " + parallel);
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> job : jobs) {
                futures.add(pool.submit(job));
            }
            List<T> results = new ArrayList<>();
            Throwable failure = null;
            for (Future<T> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                        onFailure.run();
                    }
                    results.add(null);
                }
            }
            if (failure instanceof IOException io) {
                throw io;
            } else if (failure instanceof InterruptedException ie) {
                throw ie;
            } else if (failure instanceof RuntimeException re) {
                throw re;
            } else if (failure instanceof Error err) {
                throw err;
            } else if (failure != null) {
                throw new IllegalStateException(failure.getMessage(), failure);
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
