-- wrk script for bench/http_bench.sh: POSTs the JSON body in $SIEVE_WRK_BODY (one row of the
-- benchmark's input, as the engine would send it) on every request.
wrk.method = "POST"
wrk.body = os.getenv("SIEVE_WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
