// DESIGN: see csv_scanner.h. Scan() is branch-free apart from the short-window copy.
#include "common/csv_scanner.h"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sieve {
namespace {

// The four special bytes of one 64-byte window as bit masks.
struct ByteMasks {
  uint64_t quote = 0;
  uint64_t comma = 0;
  uint64_t lf = 0;
  uint64_t cr = 0;
};

#if defined(__SSE2__)
[[gnu::always_inline]] inline uint64_t MatchMask(__m128i v, char c, int shift) {
  const __m128i eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
  return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(eq))) << shift;
}

[[gnu::always_inline]] inline ByteMasks Classify64(const char* p) {
  ByteMasks m;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    m.quote |= MatchMask(v, '"', 16 * i);
    m.comma |= MatchMask(v, ',', 16 * i);
    m.lf |= MatchMask(v, '\n', 16 * i);
    m.cr |= MatchMask(v, '\r', 16 * i);
  }
  return m;
}
#else
[[gnu::always_inline]] inline ByteMasks Classify64(const char* p) {
  ByteMasks m;
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    m.quote |= p[i] == '"' ? bit : 0;
    m.comma |= p[i] == ',' ? bit : 0;
    m.lf |= p[i] == '\n' ? bit : 0;
    m.cr |= p[i] == '\r' ? bit : 0;
  }
  return m;
}
#endif

// Bit i of the result is the XOR of bits 0..i of x: the quote parity after byte i.
uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

std::string ShowByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
}

}  // namespace

CsvWindow CsvScanner::Scan(const char* data, size_t n) {
  ByteMasks m;
  if (n == kWindowBytes) {
    m = Classify64(data);
  } else {
    char padded[kWindowBytes] = {};  // zero bytes match no special byte
    std::memcpy(padded, data, n);
    m = Classify64(padded);
  }
  const uint64_t valid = n == kWindowBytes ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  const uint64_t inside = PrefixXor(m.quote) ^ (inside_ ? ~uint64_t{0} : 0);
  const uint64_t closing = m.quote & ~inside;
  const uint64_t cr_outside = m.cr & ~inside;

  CsvWindow w;
  w.commas = m.comma & ~inside;
  w.record_ends = m.lf & ~inside;
  w.line_feeds = m.lf;
  w.opening_quotes = m.quote & inside;
  const uint64_t separators = w.commas | w.record_ends;
  const uint64_t field_start = (separators << 1) | uint64_t{field_start_};
  const uint64_t after_close = ((closing << 1) | uint64_t{after_close_}) & valid;
  const uint64_t after_cr = ((cr_outside << 1) | uint64_t{after_cr_}) & valid;
  w.bad_quote = w.opening_quotes & ~field_start & ~after_close;
  w.bad_after_quote = after_close & ~(m.quote | m.comma | m.lf | m.cr);
  w.bad_after_cr = after_cr & ~m.lf;

  const size_t last = n - 1;
  inside_ = (inside >> last) & 1;
  field_start_ = (separators >> last) & 1;
  after_close_ = (closing >> last) & 1;
  after_cr_ = (cr_outside >> last) & 1;
  return w;
}

std::string DescribeCsvError(const CsvWindow& window, const char* data, size_t* offset) {
  const uint64_t errors = window.errors();
  const uint64_t first = errors & (~errors + 1);
  *offset = static_cast<size_t>(std::countr_zero(errors));
  const std::string shown = ShowByte(data[*offset]);
  if (window.bad_quote & first) {
    return "quote inside an unquoted field; a field holding quotes must be enclosed in quotes "
           "with its inner quotes doubled";
  }
  if (window.bad_after_quote & first) {
    return "unexpected " + shown +
           " after a closing quote; a quote inside a quoted field must be doubled (\"\")";
  }
  return "carriage return followed by " + shown +
         " outside quotes; lines must end with LF or CRLF";
}

}  // namespace sieve
