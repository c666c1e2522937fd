# Third-party dependencies, all from Debian packages (see scripts/install-deps.sh).
# Each is found here once; each component links only what it needs.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(msgpack REQUIRED CONFIG)          # libmsgpack-cxx-dev -> msgpackc-cxx
find_package(spdlog REQUIRED CONFIG)           # libspdlog-dev
find_package(nlohmann_json REQUIRED CONFIG)    # nlohmann-json3-dev
if(SIEVE_FUZZ)
  return()
endif()
find_package(cppzmq REQUIRED CONFIG)           # cppzmq-dev + libzmq3-dev
find_package(CURL REQUIRED)                    # libcurl4-openssl-dev
find_package(SQLite3 REQUIRED)                 # libsqlite3-dev
find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # libssl-dev (SHA-256 of request fingerprints)
find_package(CLI11 REQUIRED CONFIG)            # libcli11-dev
find_package(prometheus-cpp REQUIRED CONFIG)   # prometheus-cpp-dev
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # libcpp-httplib-dev
find_package(GTest REQUIRED CONFIG)            # libgtest-dev, libgmock-dev
find_package(benchmark REQUIRED CONFIG)        # libbenchmark-dev
include(GoogleTest)
