#!/usr/bin/env bash
# Times the V-Net convolutions in this engine (JMH, bench/ConvBench) and in PyTorch
# (bench/torch_conv.py) and prints them side by side. Shapes as arguments (default: all in both).
# QUICK=1 uses ConvQuick (median of 5 runs, no JMH) instead of JMH for ours.
# JAVA defaults to the JDK 25 that the Maven toolchain picks.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)}
JAVA=${JAVA:-java}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

mvn -q -Pbench package -DskipTests
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g)
if [[ "${QUICK:-0}" == 1 ]]; then
  "$JAVA" "${flags[@]}" -cp target/benchmarks.jar org.ducisc.bench.ConvQuick "${@:-c1_16 c16_16 c32_32 c64_64 c128_128 down16_32 down32_64 up32_16 head16_2}" 2>/dev/null \
    | awk 'NR > 1 {print "RESULT", $1, $2, $3, $5}' > "$out/ours"
else
  "$JAVA" "${flags[@]}" -cp target/benchmarks.jar org.ducisc.bench.ConvBench "$@" 2>/dev/null \
    | grep '^RESULT ' | grep -v 'median_ms' > "$out/ours"
fi
/usr/bin/python3 bench/torch_conv.py "$@" | grep '^RESULT ' > "$out/torch"

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk 'FNR == NR {t[$2 " " $3] = $5; tm[$2 " " $3] = $4; next}
     BEGIN {printf "%-10s %-15s %10s %10s %12s %12s %8s\n", "shape", "direction", "ours ms", "torch ms",
            "ours GF/s", "torch GF/s", "ours/torch"}
     {k = $2 " " $3; printf "%-10s %-15s %10.2f %10.2f %12.1f %12.1f %8.2f\n", $2, $3, $4, tm[k], $5, t[k],
      (t[k] > 0 ? $5 / t[k] : 0)}' "$out/torch" "$out/ours"
