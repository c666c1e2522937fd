#!/usr/bin/env bash
# What the web console costs the broker's dispatch loop (issue 23). Starts a real sieve-broker
# with --metrics, optionally opens its console in headless Chromium (two tabs, jobs list and
# workers, each polling the JSON API once a second), drives JOBS complete small jobs through
# it with broker_jobs_bench (client, collector and worker over the real protocol: the loop does
# SQLite, spool, leases and commits, nothing else costs), and prints jobs/s, the CPU time of
# the broker's loop thread and of the whole broker (the console's HTTP work is on the metrics
# server's threads).
#
#   bench/console_bench.sh BUILD_DIR none|page [JOBS=3000] [BROKER=BUILD_DIR/broker/sieve-broker]
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR none|page [JOBS] [BROKER]}
mode=${2:?none or page}
jobs=${3:-3000}
broker=${4:-$build/broker/sieve-broker}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${SIEVE_BENCH_TMP:-/tmp}/sieve-console-bench.XXXXXX")
viewer=""
cleanup() {
  [ -n "$viewer" ] && kill "$viewer" 2>/dev/null && wait "$viewer" 2>/dev/null
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
"$broker" --listen 'tcp://127.0.0.1:*' --data-dir "$dir/data" --metrics 127.0.0.1:0 \
  --log-level warn >"$dir/out" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$dir/out")
metrics=$(sed -n 's/^metrics on //p' "$dir/out")
if [ "$mode" = page ]; then
  python3 "$here/python/console_viewer.py" "http://$metrics" "$dir/chromium" >"$dir/viewer" 2>&1 &
  viewer=$!
  for _ in $(seq 300); do grep -q 'console open' "$dir/viewer" && break; sleep 0.1; done
  grep -q 'console open' "$dir/viewer" || { cat "$dir/viewer"; exit 1; }
fi
# The loop thread's CPU (its tid is the pid) and the whole process's (metrics threads too).
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat"; }
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
ticks=$(getconf CLK_TCK)
before=$(cpu)
pbefore=$(proc_cpu)
start=$(date +%s.%N)
"$build/bench/broker_jobs_bench" "$endpoint" "$jobs" | grep -v '^first job'
end=$(date +%s.%N)
after=$(cpu)
pafter=$(proc_cpu)
python3 -c "import sys; t0, t1, c0, c1, p0, p1, hz = map(float, sys.argv[1:]); \
print(f'loop thread CPU {(c1 - c0) / hz:.2f} s, whole broker {(p1 - p0) / hz:.2f} s, over {t1 - t0:.1f} s wall')" \
  "$start" "$end" "$before" "$after" "$pbefore" "$pafter" "$ticks"
if [ "$mode" = page ]; then
  echo "console: $(tail -1 "$dir/viewer") (page still polling at the end)"
fi
