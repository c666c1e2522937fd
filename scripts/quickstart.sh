#!/usr/bin/env bash
# The main job on the bundled example, from a fresh Debian 12 machine: installs what building
# needs, builds only the `sieve` program (and the classifier model it runs), and labels
# examples/websites.csv with `sieve run` (broker, collector, two workers and the bundled
# sieve-classifier, all on this machine). Uses ccache when it is installed (install-deps puts
# it there), so a second clone or a rebuild after `git pull` takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh build
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target sieve

output=build/websites.labelled.csv
build/release/client/sieve run examples/websites.csv -o "${output}"
echo
echo "Summary: ${output}.summary.json"
