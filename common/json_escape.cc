#include "common/json_escape.h"

#include <array>

#include "common/utf8.h"

namespace sieve {
namespace {

// Bytes 0x00-0x1f, '"' and '\\' need escaping; every other byte is copied as it is.
constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> escape{};
  for (int b = 0; b < 256; ++b) escape[b] = b < 0x20 || b == '"' || b == '\\';
  return escape;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

void AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out->append(escaped, sizeof(escaped));
    }
  }
}

// REQUIRES: `text` is valid UTF-8.
void AppendEscapedUnchecked(std::string_view text, std::string* out) {
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsEscape[c]) continue;
    out->append(text.data() + run_start, i - run_start);
    AppendEscape(c, out);
    run_start = i + 1;
  }
  out->append(text.data() + run_start, text.size() - run_start);
}

}  // namespace

bool AppendJsonString(std::string_view text, std::string* out, size_t* bad_offset) {
  if (!IsValidUtf8(text, bad_offset)) return false;
  out->push_back('"');
  AppendEscapedUnchecked(text, out);
  out->push_back('"');
  return true;
}

bool AppendJsonEscaped(std::string_view text, std::string* out, size_t* bad_offset) {
  if (!IsValidUtf8(text, bad_offset)) return false;
  AppendEscapedUnchecked(text, out);
  return true;
}

}  // namespace sieve
