#!/usr/bin/env bash
# The main job on the bundled example, from a fresh Debian 12 machine: installs dependencies,
# builds a release build, and labels examples/websites.csv with `sieve run` (broker, collector,
# two workers and the bundled sieve-classifier, all on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

output=build/websites.labelled.csv
build/release/client/sieve run examples/websites.csv -o "${output}"
echo
echo "Summary: ${output}.summary.json"
