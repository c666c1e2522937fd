// A main() for libFuzzer targets (tests/fuzz/*_fuzz.cc) under the regular gcc build: runs the
// target over every file of the given corpus directories, plus every prefix of each file
// (prefixes cut records, quotes, CRLFs and JSON at every byte). The target aborts when an
// invariant breaks, which fails the test; an empty corpus fails it too. Linked into
// csv_fuzz_replay, http_json_fuzz_replay, http1_response_fuzz_replay, proto_fuzz_replay.
//
//   NAME_fuzz_replay DIR...
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string data((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      for (size_t n = 0; n <= data.size(); ++n) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), n);
      }
      ++files;
    }
  }
  std::printf("replayed %zu corpus files\n", files);
  return files > 0 ? 0 : 1;
}
