#!/usr/bin/env bash
# Installs the Debian 12 packages Sieve needs.
#   install-deps.sh         everything: build, test and benchmark (what scripts/test.sh runs)
#   install-deps.sh build   only what building the programs needs (what quickstart.sh runs)
# Idempotent and non-interactive: packages already present are skipped without touching apt.
set -euo pipefail

BUILD_PACKAGES=(
  # toolchain (ccache: rebuilds after a change or in a second clone take seconds)
  build-essential cmake ninja-build pkg-config git ccache
  # libraries (design.md, "Dependencies"); GoogleTest because CMake looks for it at configure
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libcurl4-openssl-dev libcpp-httplib-dev
  prometheus-cpp-dev libsqlite3-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # SHA-256 of request fingerprints (common/request_fingerprint.h): OpenSSL's libcrypto
  libssl-dev
  # the Python module `import sieve` (python/, built when pybind11 is found) and Python's headers
  pybind11-dev python3-dev
)
TEST_PACKAGES=(
  # the fuzz preset's compiler and sanitizer runtime
  clang libclang-rt-14-dev
  # tests and benchmarks
  python3 curl procps iproute2 wrk
  # observability tests: a real Prometheus server and promtool (large: ~100 MB)
  prometheus
  # packaging and deploy tests: cpack's DEB generator (dpkg-shlibdeps, file), the YAML of
  # deploy/, systemd-analyze for the units
  dpkg-dev file python3-yaml systemd
  # security tests: hostile ZeroMQ peers and a packet capture of a job
  python3-zmq python3-msgpack tcpdump
  # the canary tests' endpoint: a FastAPI app with a pydantic model, like the seed's (issue 25)
  python3-fastapi python3-uvicorn
  # HTTP/2 and TLS endpoint tests (nginx in front of the classifier, a test-made certificate);
  # nginx is also the HTTP benchmark's fast server
  nginx-light openssl
  # the broker's web console tested in a real browser (headless, through the DevTools pipe)
  chromium
  # the Python module's tests (label `python`): pytest, DataFrames, the progress bar, and
  # examples/notebook.ipynb executed headless
  python3-pytest python3-pandas python3-tqdm jupyter-nbconvert python3-ipykernel
)

case "${1:-all}" in
  build) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  all) PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: install-deps.sh [build|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts nginx's own service (port 80) on install; the tests run their own instances.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null &&
   systemctl is-active --quiet nginx 2>/dev/null; then
  echo "install-deps: stopping and disabling the nginx service Debian started (tests run their own)"
  $SUDO systemctl disable --now nginx || true
fi
