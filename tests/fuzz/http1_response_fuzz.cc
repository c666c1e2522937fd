// libFuzzer target for the native HTTP client's response parser (worker/http1_response_parser.h):
// the bytes an inference endpoint (or anything listening at its address) sends back.
//
// DESIGN: byte 0 picks where the rest is split in two Feed calls (and whether a third, empty
// one follows); the rest is the response. Invariants beyond "no crash, no sanitizer report":
// Feed never uses more than it was given; a complete response has a final status (200..999,
// 1xx skipped) and a body within the limit; and the outcome does not depend on how the bytes
// were split: fed whole or in two parts (then the end of the connection), the parser reaches
// the same state, status, body and keep-alive decision. Seeds: tests/fuzz/corpus/http1_response/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "worker/http1_response_parser.h"

namespace {

using sieve::Http1ResponseParser;
constexpr size_t kMaxBody = 4096;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  Http1ResponseParser::State state;
  int status;
  std::string body;
  bool keep_alive;
};

// Feeds `parts` in order while the response is incomplete, then the end of the connection.
Outcome Parse(std::string_view first, std::string_view second) {
  Http1ResponseParser parser(kMaxBody);
  Http1ResponseParser::State state = Http1ResponseParser::State::kIncomplete;
  for (std::string_view part : {first, second}) {
    if (state != Http1ResponseParser::State::kIncomplete || part.empty()) continue;
    size_t used = 0;
    state = parser.Feed(part, &used);
    Check(used <= part.size());
    if (state == Http1ResponseParser::State::kIncomplete) Check(used == part.size());
  }
  if (state == Http1ResponseParser::State::kIncomplete) state = parser.FinishAtEof();
  if (state == Http1ResponseParser::State::kComplete) {
    Check(parser.status() >= 200 && parser.status() <= 999);
    Check(parser.body().size() <= kMaxBody);
  }
  return Outcome{state, parser.status(), parser.body(), parser.keep_alive()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view response(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = response.empty() ? 0 : data[0] % (response.size() + 1);
  const Outcome whole = Parse(response, {});
  const Outcome parts = Parse(response.substr(0, split), response.substr(split));
  Check(whole.state == parts.state);
  if (whole.state == Http1ResponseParser::State::kComplete) {
    Check(whole.status == parts.status && whole.body == parts.body &&
          whole.keep_alive == parts.keep_alive);
  }
  return 0;
}
