// CsvScanner: the structural classifier under every CSV routine in Sieve.
//
// DESIGN
// It classifies input 64 bytes at a time into bit masks (bit i = byte i of the window):
// which commas and line feeds are structural (outside quotes), where every line feed is
// (for physical line numbers), and which bytes break the RFC 4180 rules. The quote state
// is the parity of the quotes seen so far (a prefix XOR over the quote mask), so a doubled
// quote inside a quoted field closes and reopens it; the rules are then plain mask algebra:
//   - an opening quote must start a field or directly follow a closing quote ("");
//   - the byte after a closing quote must be a quote, comma, CR or LF;
//   - a CR outside quotes must be followed by LF.
// Between windows only six bits of state carry over, so a window may end anywhere, even
// in the middle of a CRLF or a doubled quote. Per window the work is a few SIMD compares
// (SSE2 where available, a byte loop elsewhere) and ~40 integer operations, independent of
// the content: this is what lets chunking run at memory speed.
//
// Thread-safety: none; one scanner per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sieve {

// Classification of one window. Bits at or past the window's length are zero.
struct CsvWindow {
  uint64_t commas = 0;           // structural commas (field separators)
  uint64_t record_ends = 0;      // structural line feeds (end of a record)
  uint64_t line_feeds = 0;       // every line feed, quoted or not
  uint64_t opening_quotes = 0;   // quotes that open a quoted field (or reopen after "")
  uint64_t bad_quote = 0;        // a quote that neither opens a field nor doubles a quote
  uint64_t bad_after_quote = 0;  // a byte after a closing quote that is not , " CR or LF
  uint64_t bad_after_cr = 0;     // a byte after a CR outside quotes that is not LF

  uint64_t errors() const { return bad_quote | bad_after_quote | bad_after_cr; }
};

class CsvScanner {
 public:
  static constexpr size_t kWindowBytes = 64;

  // Classifies bytes [data, data + n), continuing the state left by the previous call.
  // REQUIRES: 0 < n <= kWindowBytes.
  CsvWindow Scan(const char* data, size_t n);

  // Forgets all state: the next byte starts a record outside quotes.
  void Reset() { *this = CsvScanner(); }

  // State after the last scanned byte.
  bool inside_quotes() const { return inside_; }
  bool after_cr() const { return after_cr_; }  // last byte was a CR outside quotes

 private:
  bool inside_ = false;       // within a quoted field
  bool field_start_ = true;   // next byte starts a field
  bool after_close_ = false;  // last byte was a closing quote
  bool after_cr_ = false;
};

// Describes the first error of `window`, e.g. "quote inside an unquoted field; quote the
// whole field and double its inner quotes", and sets *offset to the offending byte's index
// in the window. `data` is the window's bytes, used to show the offending character.
// REQUIRES: window.errors() != 0.
std::string DescribeCsvError(const CsvWindow& window, const char* data, size_t* offset);

}  // namespace sieve
