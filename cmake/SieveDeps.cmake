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

# The Python module (python/, docs/python.md): pybind11 (pybind11-dev) and Python's headers,
# for Debian's interpreter /usr/bin/python3 (where python3-pandas and the .deb's
# dist-packages are) even when another python3 comes first on PATH.
# SIEVE_BUILD_PYTHON: AUTO (default) builds it when pybind11 is found and the build has no
# sanitizers (an instrumented module cannot be loaded by an uninstrumented interpreter).
set(SIEVE_BUILD_PYTHON AUTO CACHE STRING "Build the Python module `import sieve`: AUTO, ON or OFF")
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python the module is built for")
endif()
if(SIEVE_BUILD_PYTHON)  # AUTO and ON are true, OFF is false
  find_package(Python3 COMPONENTS Interpreter Development.Module)
  find_package(pybind11 CONFIG QUIET)             # pybind11-dev
endif()
if(SIEVE_BUILD_PYTHON STREQUAL "AUTO")
  if(pybind11_FOUND AND Python3_Development.Module_FOUND AND NOT SIEVE_SANITIZE)
    set(SIEVE_BUILD_PYTHON ON)
  else()
    message(STATUS "Python module (import sieve) not built: it needs pybind11-dev and Python "
                   "headers, and a build without sanitizers")
    set(SIEVE_BUILD_PYTHON OFF)
  endif()
elseif(SIEVE_BUILD_PYTHON AND NOT pybind11_FOUND)
  message(FATAL_ERROR "SIEVE_BUILD_PYTHON=ON needs pybind11 (Debian: pybind11-dev)")
endif()
if(SIEVE_BUILD_PYTHON)
  # The module links the component libraries into a shared object.
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
endif()
