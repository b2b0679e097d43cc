#!/usr/bin/env bash
# On a GPU host (nvcc, the NVIDIA driver, PyTorch; no JDK needed): builds the kernels, runs the GPU
# test suite, our GPU benchmarks and PyTorch's (cuDNN convolutions, the reference DuCiSC step), and
# prints a short table last. Needs what bench/gpu/prepare.sh made here: .jre/ and target/gpu/.
#   bench/gpu/run.sh [RUNS]          logs go to $OUT (the device tool's folder) or bench/gpu/out/
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-10}"
LOGS="${OUT:-bench/gpu/out}"
mkdir -p "$LOGS"
if [ -x .jre/jre/bin/java ]; then
    JAVA=.jre/jre/bin/java
elif [ -f .jre/jre.tar.xz ]; then
    tar xJf .jre/jre.tar.xz -C .jre && JAVA=.jre/jre/bin/java
else
    JAVA="$(command -v java)" || { echo "run.sh: no Java: run bench/gpu/prepare.sh where a JDK is and carry .jre"; exit 1; }
fi
[ -d target/gpu/classes ] || { echo "run.sh: target/gpu missing: run bench/gpu/prepare.sh first and carry target/gpu"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$LOGS/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ >> "$LOGS/gpu.txt"

echo "== kernels"
start=$(date +%s)
native/build.sh target/native 2>&1 | tee "$LOGS/build.log" || exit 1
echo "build seconds: $(( $(date +%s) - start ))" | tee -a "$LOGS/build.log"
RESOURCE_USAGE=1 native/build.sh target/native-usage > "$LOGS/resource-usage.log" 2>&1
export DUCISC_CUDA_LIBRARY="$PWD/target/native/libducisc_cuda.so"
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g)
CP="target/gpu/classes:$(ls target/gpu/lib/*.jar | tr '\n' ':')"

echo "== GPU test suite"
"$JAVA" "${FLAGS[@]}" -Dducisc.poison=true -jar target/gpu/tools/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP:target/gpu/test-classes" --select-class org.ducisc.backend.cuda.CudaBindingsTest \
    --select-class org.ducisc.backend.cuda.CudaBackendTest --select-class org.ducisc.backend.cuda.CudaNetworkTest \
    --details=tree --disable-banner 2>&1 | tee "$LOGS/tests.log"

echo "== our GPU benchmarks"
"$JAVA" "${FLAGS[@]}" -cp "$CP" org.ducisc.bench.GpuBench "$RUNS" 2>&1 | tee "$LOGS/ours.log"

echo "== PyTorch (cuDNN) convolutions and the reference step"
TORCH_DEVICE=cuda python3 bench/torch_conv.py 2>&1 | tee "$LOGS/torch_conv.log"
python3 bench/gpu/torch_step.py --runs "$RUNS" 2>&1 | tee "$LOGS/torch_step.log"

echo "== summary"
python3 - "$LOGS" <<'PY' | tee "$LOGS/summary.md"
import re, sys, pathlib
logs = pathlib.Path(sys.argv[1])
def read(name):
    p = logs / name
    return p.read_text(errors='replace') if p.exists() else ''
print('GPU:', read('gpu.txt').replace('\n', ' ').strip())
tests = re.findall(r'\[\s*(\d+) tests (successful|failed|skipped|aborted)\s*\]', read('tests.log'))
print('tests:', ', '.join(f'{n} {k}' for n, k in tests) or 'no summary (see tests.log)')
ours = {(m[0], m[1]): (float(m[2]), float(m[3])) for m in re.findall(r'RESULT conv (\S+) (\S+) ([\d.]+) ([\d.]+)', read('ours.log'))}
torch = {(m[0], m[1]): (float(m[2]), float(m[3])) for m in re.findall(r'RESULT (\S+) (\S+) ([\d.]+) ([\d.]+)', read('torch_conv.log'))}
print('| shape | direction | ours ms | cuDNN ms | ours GFLOP/s | cuDNN GFLOP/s | ours/cuDNN |')
print('|---|---|---:|---:|---:|---:|---:|')
for key, (ms, gf) in ours.items():
    t = torch.get(key)
    print(f'| {key[0]} | {key[1]} | {ms:.3f} | ' + (f'{t[0]:.3f} | {gf:.1f} | {t[1]:.1f} | {gf / t[1]:.2f} |' if t else f'- | {gf:.1f} | - | - |'))
step = re.findall(r'RESULT ducisc_step ([\d.]+)', read('ours.log'))
ref = re.findall(r'RESULT torch_ducisc_step ([\d.]+)', read('torch_step.log'))
print(f'DuCiSC iteration 112x112x80, 16 filters, 2+2: ours {step[0] if step else "-"} ms, '
      f'PyTorch {ref[0] if ref else "-"} ms (medians)')
PY
