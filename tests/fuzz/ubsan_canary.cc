// A canary, not a fuzz target of Sieve code: undefined behaviour (a signed overflow) on every
// input, built with the fuzz targets' flags (SIEVE_FUZZ_FLAGS in tests/fuzz/CMakeLists.txt).
// The fuzz_ubsan_stops test requires it to stop with a UBSan report and a failure exit: were
// -fno-sanitize-recover=undefined dropped from those flags, UBSan would print and carry on,
// and every fuzz run would stay green whatever undefined behaviour it met.
#include <cstddef>
#include <cstdint>
#include <limits>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t size) {
  volatile int big = std::numeric_limits<int>::max();
  const int overflowed = big + static_cast<int>(size % 2 + 1);  // UB: signed overflow
  return overflowed == 0 ? 1 : 0;
}
