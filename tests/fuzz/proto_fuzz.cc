// libFuzzer target for the wire protocol decoder (proto/codec.h).
//
// DESIGN: the fuzz input is turned into a frame list, decoded, and every successful decode is
// re-encoded and decoded again; the two values must be equal and the two encodings identical
// (the encoder is canonical). Any crash, sanitizer report or mismatch is a bug.
//
// Input layout:
//   byte 0       flags: bit 0 = start with a valid protocol tag frame;
//                       bit 1 = then a valid command frame, the name chosen by byte 1
//   byte 1       (only with bit 1) command index, modulo kCommandCount
//   then frames  each a 2-byte little-endian length L and L bytes (fewer at the end of input);
//                at most kMaxFrames + 2 frames, so the frame-count limit is exercised too.
// The seed corpus (tests/fuzz/corpus/proto/) holds one encoded message per command in this
// layout (flags 0), plus a few malformed ones.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "proto/codec.h"

namespace {

using sieve::proto::Frames;

Frames SplitInput(const std::uint8_t* data, std::size_t size) {
  Frames frames;
  std::size_t pos = 0;
  const std::uint8_t flags = size > 0 ? data[pos++] : 0;
  if (flags & 1) {
    frames.emplace_back(sieve::proto::kProtocolTag);
    frames.back().push_back(static_cast<char>(sieve::proto::kProtocolVersion));
  }
  if ((flags & 2) && pos < size) {
    frames.emplace_back(sieve::proto::kCommandNames[data[pos++] % sieve::proto::kCommandCount]);
  }
  while (pos + 2 <= size && frames.size() < sieve::proto::kMaxFrames + 2) {
    std::size_t length = data[pos] | (static_cast<std::size_t>(data[pos + 1]) << 8);
    pos += 2;
    length = std::min(length, size - pos);
    frames.emplace_back(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }
  return frames;
}

[[noreturn]] void Fail(const char* what, const sieve::proto::Message& message) {
  std::fprintf(stderr, "proto_fuzz: %s for %s\n", what,
               std::string(sieve::proto::CommandName(sieve::proto::CommandOf(message))).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Frames frames = SplitInput(data, size);
  (void)sieve::proto::DescribeFrames(frames);
  sieve::Result<sieve::proto::Message> decoded = sieve::proto::Decode(std::move(frames));
  if (!decoded.ok()) return 0;
  const Frames encoded = sieve::proto::Encode(*decoded);
  sieve::Result<sieve::proto::Message> again = sieve::proto::Decode(encoded);
  if (!again.ok()) Fail("re-encoded message does not decode", *decoded);
  if (!(*again == *decoded)) Fail("round trip changed the value", *decoded);
  if (sieve::proto::Encode(*again) != encoded) Fail("encoding is not canonical", *decoded);
  return 0;
}
