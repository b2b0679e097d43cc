#!/usr/bin/env bash
# On a GPU host (the NVIDIA driver, compute-sanitizer, PyTorch; no JDK, no nvcc needed): the GPU test
# suite at full size, compute-sanitizer memcheck and racecheck on one V-Net forward + backward, our GPU
# benchmarks and PyTorch's (cuDNN convolutions, the reference DuCiSC step), a short table last; under
# 8 minutes (each stage has a time limit). Needs what bench/gpu/prepare.sh made here: .jre/,
# target/gpu/ and target/native/ (the kernels, built here by nvcc).
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

# Every stage has its own time limit, so the whole script stays under 8 minutes on any host.
stage() {  # SECONDS LOG COMMAND...
    local limit="$1" log="$2"
    shift 2
    local start=$(date +%s)
    timeout --signal=INT --kill-after=10 "$limit" "$@" 2>&1 | tee "$LOGS/$log"
    echo "stage seconds: $(( $(date +%s) - start )) (limit $limit)" | tee -a "$LOGS/$log"
}

echo "== kernels"
# Built where prepare.sh ran (nvcc there) and carried in target/native; rebuilt only if missing.
if [ ! -f target/native/libducisc_cuda.so ]; then
    stage 150 build.log native/build.sh target/native || exit 1
fi
[ -f target/native/libducisc_cuda.so ] || { echo "run.sh: no target/native/libducisc_cuda.so and no nvcc"; exit 1; }
export DUCISC_CUDA_LIBRARY="$PWD/target/native/libducisc_cuda.so"
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g)
CP="target/gpu/classes:$(ls target/gpu/lib/*.jar | tr '\n' ':')"
JUNIT=(-jar "$(ls target/gpu/tools/junit-platform-console-standalone-*.jar)" execute
       --class-path "$CP:target/gpu/test-classes" --details=tree --disable-banner)
SUITE=(-Dducisc.test.cudaDevice=cuda:0 -Dducisc.poison=true)

echo "== GPU test suite at full size (the same classes that run on the emulated device in mvn test)"
stage 150 tests.log "$JAVA" "${FLAGS[@]}" "${SUITE[@]}" -Dducisc.test.fullSize=true "${JUNIT[@]}" \
    --select-class org.ducisc.backend.cuda.CudaBindingsTest --select-class org.ducisc.backend.cuda.CudaBackendTest \
    --select-class org.ducisc.backend.cuda.CudaNetworkTest --select-class org.ducisc.backend.cuda.CudaEndToEndTest

echo "== compute-sanitizer memcheck and racecheck on one V-Net forward + backward (small size)"
# Every launch synchronised, so a fault is reported under its kernel's name. The caching allocator
# rounds blocks up, so memcheck sees overruns past a size class only; the emulated device's guards
# (mvn test) and its AddressSanitizer build see every byte past a request.
export DUCISC_CUDA_SYNC_LAUNCHES=1
for tool in memcheck racecheck; do
    stage 60 "$tool.log" compute-sanitizer --tool "$tool" --error-exitcode 3 --target-processes all \
        "$JAVA" "${FLAGS[@]}" "${SUITE[@]}" "${JUNIT[@]}" \
        --select-method org.ducisc.backend.cuda.CudaNetworkTest#forwardAndBackwardMatchTheCpu
done
unset DUCISC_CUDA_SYNC_LAUNCHES

echo "== our GPU benchmarks"
stage 75 ours.log "$JAVA" "${FLAGS[@]}" -cp "$CP" org.ducisc.bench.GpuBench "$RUNS"

echo "== PyTorch (cuDNN) convolutions and the reference step"
TORCH_DEVICE=cuda stage 45 torch_conv.log python3 bench/torch_conv.py
stage 45 torch_step.log python3 bench/gpu/torch_step.py --runs "$RUNS"

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
for tool in ('memcheck', 'racecheck'):
    m = re.search(r'ERROR SUMMARY: (\d+) error', read(tool + '.log'))
    print(f'compute-sanitizer {tool}:', f'{m.group(1)} errors' if m else 'no summary (see %s.log)' % tool)
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
