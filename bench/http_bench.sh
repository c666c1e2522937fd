#!/usr/bin/env bash
# HTTP engine benchmarks, each measured side by side in one run (see docs/benchmarks.md):
#   1. fast server (nginx answering a fixed JSON at once): sieve-label-file rows/s vs wrk
#      requests/s at the same connection count (target >= 0.6), client CPU per row, and the
#      seed's Python approach (asyncio + aiohttp + Semaphore) on the same server;
#   2. a server adding 20 ms per request (bench/http_delay_server), concurrency 256: rows/s vs
#      the ideal 256 / 0.020 s = 12,800/s (target >= 0.9), and the Python peer there.
# Usage: bench/http_bench.sh [BUILD_DIR]      (default build/release; needs sieve-label-file
#        and http_delay_server built, wrk, nginx (falls back to http_delay_server --delay-ms 0),
#        /usr/bin/python3 with python3-aiohttp). Env: ROWS (20000), PY_ROWS (5000), SECONDS_WRK (5),
#        CONC_FAST (64), CONC_SLOW (256), DELAY_MS (20).
# Everything listens on 127.0.0.1 only and every server stops by itself (--max-seconds) or at exit.
# With two or more cores, servers run on CPU 0 and every client on CPU 1 (taskset), as they
# would on two machines: unpinned, the kernel often woke the server on the client's core after
# each loopback send, and the two took turns on one core (measured: the native client at
# concurrency 256 against the 20 ms server, 11,300-11,700 rows/s unpinned, 12,100-12,200 pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
ROWS=${ROWS:-20000}
PY_ROWS=${PY_ROWS:-5000}
SECONDS_WRK=${SECONDS_WRK:-5}
CONC_FAST=${CONC_FAST:-64}
CONC_SLOW=${CONC_SLOW:-256}
DELAY_MS=${DELAY_MS:-20}
LABEL_FILE="$BUILD/worker/sieve-label-file"
DELAY_SERVER="$BUILD/bench/http_delay_server"
PY=/usr/bin/python3
for tool in "$LABEL_FILE" "$DELAY_SERVER"; do
  [ -x "$tool" ] || { echo "missing $tool: build it first (cmake --build $BUILD)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sieve-http-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Input: the seed's columns, ~600 bytes of text per row (a scraped homepage is this order).
"$PY" - "$WORK/input.csv" "$ROWS" <<'PYEOF'
import csv, random, sys
random.seed(1)
words = ("news sports health travel finance weather election market doctor clinic football "
         "hotel flight breaking live updates analysis booking appointment").split()
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["website", "content"])
    for i in range(int(sys.argv[2])):
        w.writerow([f"https://site{i}.example.com",
                    " ".join(random.choice(words) for _ in range(80)) + ', a "quoted" word'])
PYEOF
head -n $((PY_ROWS + 1)) "$WORK/input.csv" > "$WORK/py_input.csv"
BODY=$("$PY" -c 'import csv,json,sys; r=csv.reader(open(sys.argv[1])); h=next(r); print(json.dumps(dict(zip(h,next(r))),separators=(",",":")))' "$WORK/input.csv")

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  ON_SERVER_CORE=(taskset -c 0)
  ON_CLIENT_CORE=(taskset -c 1)
else
  ON_SERVER_CORE=()
  ON_CLIENT_CORE=()
fi

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# Runs sieve-label-file; prints "rows_per_s cpu_us_per_row".
run_engine() {  # URL CONCURRENCY HTTP_CLIENT
  "${ON_CLIENT_CORE[@]}" "$LABEL_FILE" "$WORK/input.csv" --endpoint "$1" -o "$WORK/out.csv" \
    --concurrency "$2" --http-client "$3" --chunk-rows 2000 2> "$WORK/engine.log" ||
    { cat "$WORK/engine.log" >&2; exit 1; }
  # Checked before printing: the caller reads the figures through a process substitution and
  # starts the next run, which rewrites the log, as soon as they are printed.
  grep -q ", 0 failed" "$WORK/engine.log" || { echo "engine run had failures:" >&2; cat "$WORK/engine.log" >&2; }
  sed -E 's/.*\(([0-9]+) rows\/s\).*\(([0-9.]+) us\/row\).*/\1 \2/' "$WORK/engine.log"
}
# Runs the Python peer; prints "rows_per_s cpu_us_per_row".
run_python() {  # URL CONCURRENCY
  if ! "$PY" -c 'import aiohttp' 2>/dev/null; then echo "n/a n/a"; return; fi
  "${ON_CLIENT_CORE[@]}" "$PY" bench/python/seed_peer.py "$WORK/py_input.csv" --endpoint "$1" \
    -o "$WORK/py_out.csv" --concurrency "$2" 2> "$WORK/py.log"
  sed -E 's/.*\(([0-9]+) rows\/s\).*cpu ([0-9.]+) s/\1 \2/' "$WORK/py.log" |
    awk -v rows="$PY_ROWS" '{printf "%s %.1f\n", $1, $2 * 1e6 / rows}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "n/a") printf "%.2f", a / b; else print "n/a" }'; }

echo "== HTTP engine benchmark: $ROWS rows, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$([ ${#ON_SERVER_CORE[@]} -gt 0 ] && echo "servers on CPU 0, clients on CPU 1" || echo "unpinned")"

# ---- 1. fast server
FAST_PORT=$(free_port)
if command -v nginx >/dev/null; then
  mkdir -p "$WORK/nginx"
  cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  server {
    listen 127.0.0.1:$FAST_PORT;
    location / { default_type application/json; return 200 '{"label":"news"}'; }
  }
}
NGINX
  "${ON_SERVER_CORE[@]}" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)
  FAST_NAME="nginx (1 worker, return 200)"
else
  "${ON_SERVER_CORE[@]}" "$DELAY_SERVER" --port "$FAST_PORT" --delay-ms 0 --max-seconds 600 > /dev/null & PIDS+=($!)
  FAST_NAME="http_delay_server --delay-ms 0 (nginx not installed)"
fi
wait_port "$FAST_PORT"
FAST_URL="http://127.0.0.1:$FAST_PORT/classify"
WRK_RPS=$(SIEVE_WRK_BODY="$BODY" "${ON_CLIENT_CORE[@]}" wrk -t1 -c"$CONC_FAST" -d"${SECONDS_WRK}s" \
  -s bench/http_wrk_post.lua "$FAST_URL" | awk '/Requests\/sec/ {print int($2)}')
read -r ENGINE_RPS ENGINE_CPU < <(run_engine "$FAST_URL" "$CONC_FAST" native)
read -r CURL_RPS CURL_CPU < <(run_engine "$FAST_URL" "$CONC_FAST" curl)
read -r PY_RPS PY_CPU < <(run_python "$FAST_URL" "$CONC_FAST")
echo "-- 1. fast server: $FAST_NAME, $CONC_FAST connections"
printf "   %-34s %10s rows/s\n" "wrk -t1 -c$CONC_FAST (same body)" "$WRK_RPS"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "sieve-label-file (native HTTP/1.1)" "$ENGINE_RPS" "$ENGINE_CPU"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "sieve-label-file --http-client curl" "$CURL_RPS" "$CURL_CPU"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "python asyncio+aiohttp (seed)" "$PY_RPS" "$PY_CPU"
echo "   engine / wrk    = $(ratio "$ENGINE_RPS" "$WRK_RPS")   (target >= 0.6; libcurl: $(ratio "$CURL_RPS" "$WRK_RPS"))"
echo "   engine / python = $(ratio "$ENGINE_RPS" "$PY_RPS")"
kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; PIDS=()

# ---- 2. slow server: DELAY_MS per request
SLOW_PORT=$(free_port)
"${ON_SERVER_CORE[@]}" "$DELAY_SERVER" --port "$SLOW_PORT" --delay-ms "$DELAY_MS" --max-seconds 600 > /dev/null & PIDS+=($!)
wait_port "$SLOW_PORT"
SLOW_URL="http://127.0.0.1:$SLOW_PORT/classify"
IDEAL=$(awk -v c="$CONC_SLOW" -v d="$DELAY_MS" 'BEGIN { printf "%d", c * 1000 / d }')
read -r ENGINE_RPS ENGINE_CPU < <(run_engine "$SLOW_URL" "$CONC_SLOW" native)
read -r CURL_RPS CURL_CPU < <(run_engine "$SLOW_URL" "$CONC_SLOW" curl)
read -r PY_RPS PY_CPU < <(run_python "$SLOW_URL" "$CONC_SLOW")
echo "-- 2. server adding $DELAY_MS ms per request (http_delay_server), concurrency $CONC_SLOW"
printf "   %-34s %10s rows/s\n" "ideal $CONC_SLOW / ${DELAY_MS} ms" "$IDEAL"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "sieve-label-file (native HTTP/1.1)" "$ENGINE_RPS" "$ENGINE_CPU"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "sieve-label-file --http-client curl" "$CURL_RPS" "$CURL_CPU"
printf "   %-34s %10s rows/s  %6s us CPU/row\n" "python asyncio+aiohttp (seed)" "$PY_RPS" "$PY_CPU"
echo "   engine / ideal  = $(ratio "$ENGINE_RPS" "$IDEAL")   (target >= 0.9; libcurl: $(ratio "$CURL_RPS" "$IDEAL"))"
echo "   engine / python = $(ratio "$ENGINE_RPS" "$PY_RPS")"
