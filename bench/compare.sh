#!/usr/bin/env bash
# Times one workload in this engine (`./ducisc bench WORKLOAD`) and in PyTorch (its script in
# bench/), alternating the two for ROUNDS rounds so that both see the same machine, and prints
# each side's median over all its timed runs (wall and process CPU time: on a machine shared with
# other work, the CPU time is the steadier figure), its peak RSS, the ratios and the load average.
#   bench/compare.sh vnet    [--patch 112,112,80] [--batch 2] [--base-filters 16] [--runs 3] [--warmup 1]
#   bench/compare.sh step    [--patch 112,112,80] [--base-filters 16] [--runs 3] [--warmup 1]
#   bench/compare.sh predict [--size 150,150,88] [--patch 112,112,80] [--stride-xy 18] [--stride-z 4] [--runs 1] [--warmup 1]
# The options go to both sides; OURS_EXTRA="--window-batch 1" adds options for ours only.
# ROUNDS=2 by default. Each side prints "run N: S s" per timed run and "peak RSS X GB".
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:?usage: bench/compare.sh vnet|step|predict [options]}
shift
case $workload in
    vnet) script=bench/torch_vnet.py; defaults=(--patch 112,112,80 --batch 2 --base-filters 16 --runs 3) ;;
    step) script=bench/torch_step.py; defaults=(--patch 112,112,80 --base-filters 16 --runs 3) ;;
    predict) script=bench/torch_sliding_window.py; defaults=(--size 150,150,88 --runs 1 --warmup 1) ;;
    *) echo "bench/compare.sh: unknown workload '$workload' (vnet, step or predict)" >&2; exit 2 ;;
esac
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=("${defaults[@]}")
read -r -a extra <<<"${OURS_EXTRA:-}"
rounds=${ROUNDS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ducisc=${DUCISC:-./ducisc}      # DUCISC=/path/to/launcher times another build (a saved "before" jar)
"$ducisc" --version >/dev/null   # builds the jar first, outside the timings
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
    "$ducisc" bench "$workload" "${args[@]}" "${extra[@]}" | tee -a "$out/ours" | sed 's/^/ours:  /'
    echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/python3 "$script" "${args[@]}" | tee -a "$out/torch" | sed 's/^/torch: /'
    echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "$(date -u '+%H:%M UTC'), load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Run lines: "run N: S s (cpu C s...)": wall seconds in field 3, process CPU seconds in field 6.
median_of() {
    sort -g | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %d", m, NR}'
}
summary() {
    grep -E '^run [0-9]+: ' "$1" | awk '{print $3}' | median_of
    printf ' '
    grep -E '^run [0-9]+: ' "$1" | awk '{print $6}' | median_of | cut -d' ' -f1 | tr -d '\n'
    grep -o 'peak RSS [0-9.]* GB' "$1" | awk '{if ($3 > p) p = $3} END {printf " %.2f\n", p}'
}
read -r ours_med ours_n ours_cpu ours_rss <<<"$(summary "$out/ours")"
read -r torch_med torch_n torch_cpu torch_rss <<<"$(summary "$out/torch")"
printf '%-6s %10s %10s %6s %14s\n' side "median s" "cpu s" runs "peak RSS GB"
printf '%-6s %10.3f %10.3f %6d %14.2f\n' ours "$ours_med" "$ours_cpu" "$ours_n" "$ours_rss" \
    torch "$torch_med" "$torch_cpu" "$torch_n" "$torch_rss"
awk -v o="$ours_med" -v t="$torch_med" -v oc="$ours_cpu" -v tc="$torch_cpu" -v ro="$ours_rss" -v rt="$torch_rss" \
    -v w="$workload" 'BEGIN {printf "%s: time ours/torch %.2f, cpu time ours/torch %.2f, peak RSS ours/torch %.2f\n",
    w, o / t, oc / tc, ro / rt}'
