#!/usr/bin/env bash
# Run HERE (JDK 25 + Maven + nvcc) before sending the tree to a GPU host that has no JDK: builds the
# kernels with nvcc into target/native/, compiles main, test and bench classes, gathers the runtime jars
# and JUnit's console launcher into target/gpu/, and builds a small Java runtime into .jre/jre.tar.xz.
# Then carry all three to the GPU host:
#   device run: command "bench/gpu/run.sh", carry [".jre", "target/gpu", "target/native"]
set -euo pipefail
cd "$(dirname "$0")/../.."
JRE_TOOL="${JRE_TOOL:-../shared/tools/jre-for-gpu-host.sh}"
JUNIT_CONSOLE="org.junit.platform:junit-platform-console-standalone:1.11.3"
rm -rf target/gpu
native/build.sh target/native
[ -f target/native/libducisc_cuda.so ] || { echo "prepare.sh: nvcc did not build target/native/libducisc_cuda.so"; exit 1; }
mvn -B -q -Pbench -DskipTests -Dducisc.cuda.skip=true package
mvn -B -q -Pbench dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/gpu/lib
mvn -B -q dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory=target/gpu/tools
cp -r target/classes target/gpu/classes
cp -r target/test-classes target/gpu/test-classes
"$JRE_TOOL" .jre
du -sh target/gpu target/native .jre
