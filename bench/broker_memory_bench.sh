#!/usr/bin/env bash
# The broker's resident memory after many completed small jobs (issue 19: a long-lived broker
# stays small). Starts a real sieve-broker with the given --retain, drives JOBS complete jobs
# through it with broker_jobs_bench (client, collector and worker over the real protocol),
# then prints the broker's VmRSS and VmHWM, and checks that `sieve status` still answers for
# the first job and `sieve jobs` lists them all.
#
#   bench/broker_memory_bench.sh BUILD_DIR [JOBS=10000] [RETAIN=1h] [EXTRA BROKER FLAGS...]
#   e.g. bench/broker_memory_bench.sh build/release 10000 never   # every job stays in memory
#        bench/broker_memory_bench.sh build/release 10000 0s      # ended jobs leave at once
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [JOBS] [RETAIN] [FLAGS...]}
jobs=${2:-10000}
retain=${3:-1h}
shift $(( $# < 3 ? $# : 3 ))
# SIEVE_BENCH_TMP=/dev/shm keeps the data dir in memory: the run is then not bound by fsync.
dir=$(mktemp -d "${SIEVE_BENCH_TMP:-/tmp}/sieve-broker-mem.XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$build/broker/sieve-broker" --listen 'tcp://127.0.0.1:*' --data-dir "$dir" \
  --retain "$retain" --log-level warn "$@" >"$dir/out" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$dir/out")
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
echo "broker pid $pid on $endpoint, --retain $retain, $jobs jobs"
echo "RSS before: $(rss VmRSS) kB"
"$build/bench/broker_jobs_bench" "$endpoint" "$jobs" | tee "$dir/bench"
job=$(sed -n 's/^first job //p' "$dir/bench")
sleep 6  # one retention pass (every 5 s) after the last job ended
echo "RSS after:  $(rss VmRSS) kB (peak $(rss VmHWM) kB)"
listed=$("$build/client/sieve" jobs --broker "$endpoint" --json |
         python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
echo "sieve jobs lists $listed jobs (the 2,000 most recent at most)"
echo "sieve status of the first job, $job:"
"$build/client/sieve" status "$job" --broker "$endpoint" | tail -1
echo "database: $(du -k "$dir/broker.db"* | awk '{ s += $1 } END { print s }') kB"
