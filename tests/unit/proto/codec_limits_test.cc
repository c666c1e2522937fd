// Decoding is bounded: frames, strings and msgpack containers past DecodeLimits are refused
// with Status::TooLarge before anything is allocated for them.
#include <gtest/gtest.h>

#include "proto/codec.h"
#include "proto/job_id.h"

namespace sieve::proto {
namespace {

using Code = Status::Code;
const std::string kTag("SIEVE\x01", 6);

// {"worker": <value>, "credit": 1} where <value> is the raw msgpack bytes `value`.
std::string ReadyHeaderWithWorker(const std::string& value) {
  return std::string("\x82\xa6worker") + value +
         "\xa6"
         "credit\x01";
}

Status DecodeStatus(Frames frames, const DecodeLimits& limits = {}) {
  return Decode(std::move(frames), limits).status();
}

Frames ChunkFrames(std::string bulk) {
  return Encode(Chunk{FormatJobId(1), 0, 0, 1, std::move(bulk)});
}

TEST(CodecLimitsTest, HeaderFrameSize) {
  std::string big = "\xda";  // str16 of 60000 bytes: within the string limit
  big += std::string("\xea\x60", 2) + std::string(60000, 'w');
  Frames frames = {kTag, "READY", ReadyHeaderWithWorker(big)};
  EXPECT_TRUE(DecodeStatus(frames).ok());
  DecodeLimits small;
  small.max_header_bytes = 1000;
  Status status = DecodeStatus(frames, small);
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  EXPECT_NE(status.message().find("header frame has 60019 bytes; limit 1000"), std::string::npos)
      << status.ToString();
  frames[2] = std::string(kMaxHeaderBytes + 1, '\x80');
  EXPECT_EQ(DecodeStatus(frames).code(), Code::kTooLarge);
}

TEST(CodecLimitsTest, BulkFrameSizeIsConfigurable) {
  DecodeLimits limits;
  limits.max_bulk_bytes = 16;
  EXPECT_TRUE(DecodeStatus(ChunkFrames(std::string(16, 'x')), limits).ok());
  Status status = DecodeStatus(ChunkFrames(std::string(17, 'x')), limits);
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  EXPECT_NE(status.message().find("bulk frame 3 has 17 bytes; limit 16"), std::string::npos);
}

TEST(CodecLimitsTest, FrameCount) {
  Frames frames = ChunkFrames("a\n");
  frames.resize(kMaxFrames + 1);
  EXPECT_EQ(DecodeStatus(frames).code(), Code::kTooLarge);
  frames.resize(kMaxFrames);
  EXPECT_EQ(DecodeStatus(frames).code(), Code::kCorrupt);  // wrong bulk count, within limits
}

TEST(CodecLimitsTest, HugeDeclaredMapIsRefusedBeforeAllocation) {
  // map32 declaring 1,000,000 entries, followed by nothing.
  Status status = DecodeStatus({kTag, "READY", std::string("\xdf\x00\x0f\x42\x40", 5)});
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  EXPECT_NE(status.message().find("map size overflow"), std::string::npos) << status.ToString();
}

TEST(CodecLimitsTest, HugeDeclaredArrayIsRefusedBeforeAllocation) {
  // "worker": array32 declaring 2^32-1 elements.
  Status status = DecodeStatus({kTag, "READY", ReadyHeaderWithWorker("\xdd\xff\xff\xff\xff")});
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  DecodeLimits limits;
  limits.max_array_elements = 2;
  EXPECT_EQ(DecodeStatus({kTag, "READY", ReadyHeaderWithWorker("\x93\x01\x02\x03")}, limits).code(),
            Code::kTooLarge);
}

TEST(CodecLimitsTest, LongStringIsRefused) {
  std::string value = "\xdb";  // str32 of kMaxStringBytes + 1 bytes, all present
  const std::uint32_t n = kMaxStringBytes + 1;
  for (int shift = 24; shift >= 0; shift -= 8) value.push_back(static_cast<char>(n >> shift));
  value += std::string(n, 's');
  Status status = DecodeStatus({kTag, "READY", ReadyHeaderWithWorker(value)});
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  // Declared but absent: refused as truncated, without allocating the declared size.
  EXPECT_EQ(DecodeStatus({kTag, "READY", ReadyHeaderWithWorker("\xdb\x7f\xff\xff\xff")}).code(),
            Code::kCorrupt);
}

TEST(CodecLimitsTest, DeepNestingIsRefused) {
  std::string nested(100, '\x91');  // 100 nested one-element arrays
  nested += '\x01';
  Status status = DecodeStatus({kTag, "READY", ReadyHeaderWithWorker(nested)});
  EXPECT_EQ(status.code(), Code::kTooLarge) << status.ToString();
  EXPECT_NE(status.message().find("depth"), std::string::npos) << status.ToString();
  // Depth 7 under the header map stays within kMaxDepth = 8 (and is then a type error).
  std::string shallow(kMaxDepth - 1, '\x91');
  shallow += '\x01';
  EXPECT_EQ(DecodeStatus({kTag, "READY", ReadyHeaderWithWorker(shallow)}).code(), Code::kCorrupt);
}

}  // namespace
}  // namespace sieve::proto
