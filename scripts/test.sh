#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs dependencies, then builds and
# runs CTest in three configurations:
#   release  every suite but the fuzzers and soak tests
#   asan     the same under AddressSanitizer + UndefinedBehaviorSanitizer (slow suites excluded)
#   fuzz     the libFuzzer targets (clang), each for a bounded time
# Usage: scripts/test.sh [release|asan|fuzz]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then configs=(release asan fuzz); fi

for preset in "${configs[@]}"; do
  echo "==== ${preset}: configure and build"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "$(nproc)"
  echo "==== ${preset}: test"
  ctest --preset "${preset}"
done
