"""The timing loop the PyTorch bench scripts share, printing what `./ducisc bench` prints (bench/README.md):
each run's wall and process CPU time, a summary line, and last the median in seconds."""
import resource
import statistics
import time


def time_runs(work, runs, warmup):
    """Calls work(i) for i in 0..warmup+runs-1 (the first `warmup` calls untimed), prints each run and the medians."""
    times, cpus = [], []
    for r in range(-warmup, runs):
        t0, c0 = time.perf_counter(), time.process_time()
        work(r + warmup)
        s, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f'{"warm-up" if r < 0 else "run"} {r + warmup + 1 if r < 0 else r + 1}: {s:.3f} s (cpu {cpu:.3f} s)', flush=True)
        if r >= 0:
            times.append(s)
            cpus.append(cpu)
    med = statistics.median(times)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f'median {med:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s, median cpu {statistics.median(cpus):.3f} s, peak RSS {peak_gb:.2f} GB')
    print(f'{med:.3f}')
