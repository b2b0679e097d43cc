#!/usr/bin/env bash
# Times one training-mode forward + backward of the V-Net (supervised loss) in this engine
# (`./ducisc bench vnet`) and in PyTorch (bench/torch_vnet.py), alternating the two for ROUNDS
# rounds so that both see the same machine, and prints each side's median over all its runs, its
# peak RSS, and the ratio. Options are passed to both sides (default: the issue's configuration).
#   bench/vnet-compare.sh [--patch 112,112,80] [--batch 2] [--base-filters 16] [--runs 3]
#   ROUNDS=2 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--patch 112,112,80 --batch 2 --base-filters 16 --runs 3)
rounds=${ROUNDS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

./ducisc --version >/dev/null   # builds the jar first, outside the timings
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
    ./ducisc bench vnet "${args[@]}" | tee -a "$out/ours" | sed 's/^/ours:  /'
    /usr/bin/python3 bench/torch_vnet.py "${args[@]}" | tee -a "$out/torch" | sed 's/^/torch: /'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Each side prints "run N: S s" per timed run and "peak RSS X GB" in its summary line.
summary() {
    grep -E '^run [0-9]+: ' "$1" | awk '{print $3}' | sort -g | awk '{v[NR] = $1} END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %d", m, NR}'
    grep -o 'peak RSS [0-9.]* GB' "$1" | awk '{if ($3 > p) p = $3} END {printf " %.2f\n", p}'
}
read -r ours_med ours_n ours_rss <<<"$(summary "$out/ours")"
read -r torch_med torch_n torch_rss <<<"$(summary "$out/torch")"
printf '%-6s %10s %6s %14s\n' side "median s" runs "peak RSS GB"
printf '%-6s %10.3f %6d %14.2f\n' ours "$ours_med" "$ours_n" "$ours_rss" torch "$torch_med" "$torch_n" "$torch_rss"
awk -v o="$ours_med" -v t="$torch_med" -v ro="$ours_rss" -v rt="$torch_rss" \
    'BEGIN {printf "time ours/torch %.2f, peak RSS ours/torch %.2f\n", o / t, ro / rt}'
