#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs dependencies, then builds and
# runs CTest in three configurations:
#   release  every suite but the fuzzers and soak tests (the unit suites only when asan is not
#            run too: they run there, under both sanitizers)
#   asan     under AddressSanitizer + UndefinedBehaviorSanitizer: the unit suites and every
#            other suite but the slow and noasan ones (tests/CMakeLists.txt)
#   fuzz     the libFuzzer targets (clang), each for a bounded time
# Usage: scripts/test.sh [release|asan|fuzz]...   (default: all three)
#
# While one configuration's tests run, the next one builds in the background at the lowest CPU
# priority (nice 19): the suites mostly wait on sockets, processes and timers, so the build
# takes the CPU they leave idle and the tests keep it whenever they want it. Its output goes to
# build/<preset>.build.log, shown when the build fails. This keeps `.ci/run` inside its time
# budget (docs/benchmarks.md, "CI time").
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then configs=(release asan fuzz); fi

# The unit suites (GoogleTest) are built and run once, under both sanitizers, when asan runs:
# a release build of them would compile a third of the code again for the same checks.
unit_in_release=ON
for preset in "${configs[@]}"; do
  if [ "${preset}" = asan ]; then unit_in_release=OFF; fi
done

build() {
  local unit=ON
  if [ "$1" = release ]; then unit="${unit_in_release}"; fi
  # -g1: the suites need file:line in reports and backtraces, not full debug info.
  cmake --preset "$1" -DSIEVE_LINE_TABLES_ONLY=ON -DSIEVE_BUILD_UNIT_TESTS="${unit}" >/dev/null
  cmake --build --preset "$1" -j "$(nproc)"
}

background_pid=""
stop_background() {
  if [ -n "${background_pid}" ]; then
    kill -- "-${background_pid}" 2>/dev/null || kill "${background_pid}" 2>/dev/null || true
  fi
}
trap stop_background EXIT

echo "==== ${configs[0]}: configure and build"
build "${configs[0]}"
for i in "${!configs[@]}"; do
  preset="${configs[$i]}"
  next="${configs[$((i + 1))]:-}"
  if [ -n "${next}" ]; then
    echo "==== ${next}: configure and build, in the background at nice 19 (build/${next}.build.log)"
    mkdir -p build
    set -m  # its own process group, so stop_background ends the compilers too
    (nice -n 19 bash -c "unit_in_release=${unit_in_release}; $(declare -f build); build ${next}") >"build/${next}.build.log" 2>&1 &
    background_pid=$!
    set +m
  fi
  echo "==== ${preset}: test"
  ctest --preset "${preset}"
  if [ -n "${next}" ]; then
    echo "==== ${next}: waiting for its build"
    if ! wait "${background_pid}"; then
      background_pid=""
      tail -n 60 "build/${next}.build.log"
      echo "==== ${next}: the build failed (whole log: build/${next}.build.log)" >&2
      exit 1
    fi
    background_pid=""
    tail -n 1 "build/${next}.build.log"
  fi
done
