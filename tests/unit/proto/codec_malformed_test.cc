// Decoding never trusts its input: every malformed message is a Status, never a crash.
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "proto/codec.h"
#include "proto/job_id.h"
#include "tests/unit/proto/sample_messages.h"

namespace sieve::proto {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;
using Entry = std::pair<std::string, std::function<void(Packer&)>>;
using Code = Status::Code;

const std::string kTag("SIEVE\x01", 6);

void PackStr(Packer& p, std::string_view s) {
  p.pack_str(static_cast<std::uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
std::function<void(Packer&)> Str(std::string s) {
  return [s](Packer& p) { PackStr(p, s); };
}
std::function<void(Packer&)> Uint(std::uint64_t v) {
  return [v](Packer& p) { p.pack_uint64(v); };
}

// A msgpack map of `entries`, in order (duplicates allowed).
std::string MapOf(const std::vector<Entry>& entries) {
  msgpack::sbuffer buffer;
  Packer packer(buffer);
  packer.pack_map(static_cast<std::uint32_t>(entries.size()));
  for (const auto& [key, write] : entries) {
    PackStr(packer, key);
    write(packer);
  }
  return std::string(buffer.data(), buffer.size());
}

Frames Msg(std::string command, std::string header, Frames bulk = {}) {
  Frames frames = {kTag, std::move(command), std::move(header)};
  for (std::string& b : bulk) frames.push_back(std::move(b));
  return frames;
}

std::vector<Entry> ReadyEntries() { return {{"worker", Str("w1")}, {"credit", Uint(3)}}; }

// The Status of decoding `frames` (OK when it decodes).
Status DecodeStatus(Frames frames, const DecodeLimits& limits = {}) {
  return Decode(std::move(frames), limits).status();
}

void ExpectRefused(const Frames& frames, Code code, std::string_view text,
                   const DecodeLimits& limits = {}) {
  Status status = DecodeStatus(frames, limits);
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(text), std::string::npos)
      << "'" << text << "' not in: " << status.ToString();
}

TEST(CodecMalformedTest, ValidReadyDecodes) {
  Result<Message> decoded = Decode(Msg("READY", MapOf(ReadyEntries())));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == Message(Ready{"w1", 3, 0, ""}));
}

TEST(CodecMalformedTest, FrameLevelErrors) {
  const std::string header = MapOf(ReadyEntries());
  ExpectRefused({}, Code::kCorrupt, "empty");
  ExpectRefused({"HELLO\x01", "READY", header}, Code::kCorrupt, "protocol tag");
  ExpectRefused({"SIEVE", "READY", header}, Code::kCorrupt, "protocol tag");
  ExpectRefused({kTag + "x", "READY", header}, Code::kCorrupt, "protocol tag");
  ExpectRefused({kTag, "READY"}, Code::kCorrupt, "2 frames");
  ExpectRefused({kTag}, Code::kCorrupt, "1 frames");
  ExpectRefused(Msg("FROB", header), Code::kCorrupt, "unknown command 'FROB'");
  ExpectRefused(Msg("ready", header), Code::kCorrupt, "unknown command (5 bytes)");
  ExpectRefused(Msg("", header), Code::kCorrupt, "unknown command");
  ExpectRefused(Msg(std::string(1000, 'A'), header), Code::kCorrupt, "1000 bytes");
}

TEST(CodecMalformedTest, OtherVersionIsVersionMismatch) {
  Frames frames = Encode(SampleMessages()[0]);
  frames[0].back() = '\x02';
  ExpectRefused(frames, Code::kVersionMismatch, "peer speaks Sieve protocol version 2");
  ExpectRefused(frames, Code::kVersionMismatch, "this build speaks version 1");
  // The version is checked before anything whose layout a newer version might change.
  ExpectRefused({std::string("SIEVE\xff", 6), "??"}, Code::kVersionMismatch, "version 255");
}

TEST(CodecMalformedTest, HeaderMustBeOneMsgpackMap) {
  ExpectRefused(Msg("READY", "\xc1"), Code::kCorrupt, "invalid msgpack");
  ExpectRefused(Msg("READY", ""), Code::kCorrupt, "truncated");
  ExpectRefused(Msg("READY", "\x93\x01\x02\x03"), Code::kCorrupt, "not a msgpack map");
  ExpectRefused(Msg("READY",
                    "\xa3"
                    "abc"),
                Code::kCorrupt, "not a msgpack map");
  const std::string header = MapOf(ReadyEntries());
  ExpectRefused(Msg("READY", header + '\x00'), Code::kCorrupt, "1 trailing bytes");
  Frames assign = Encode(SampleMessages()[1]);
  for (std::size_t cut : {std::size_t{1}, assign[2].size() / 2, assign[2].size() - 1}) {
    Frames truncated = assign;
    truncated[2].resize(cut);
    ExpectRefused(truncated, Code::kCorrupt, "truncated");
  }
}

TEST(CodecMalformedTest, WrongFieldTypes) {
  ExpectRefused(Msg("READY", MapOf({{"worker", Str("w")}, {"credit", Str("3")}})), Code::kCorrupt,
                "READY.credit: expected an unsigned integer, got a string");
  ExpectRefused(
      Msg("READY", MapOf({{"worker", Str("w")}, {"credit", [](Packer& p) { p.pack_int64(-1); }}})),
      Code::kCorrupt, "got a negative integer");
  ExpectRefused(Msg("READY", MapOf({{"worker", Str("w")}, {"credit", Uint(1ull << 32)}})),
                Code::kCorrupt, "READY.credit: integer out of range");
  ExpectRefused(Msg("READY", MapOf({{"worker", Uint(1)}, {"credit", Uint(1)}})), Code::kCorrupt,
                "READY.worker: expected a string");
  ExpectRefused(Msg("RESULT_ACK", MapOf({{"job_id", Str(FormatJobId(1))},
                                         {"chunk_index", Uint(0)},
                                         {"attempt", Uint(1)},
                                         {"ok", Uint(1)}})),
                Code::kCorrupt, "RESULT_ACK.ok: expected a boolean");
  ExpectRefused(Msg("HEARTBEAT", MapOf({{"leases", Str("none")}})), Code::kCorrupt,
                "HEARTBEAT.leases: expected an array");
  ExpectRefused(Msg("HEARTBEAT", MapOf({{"leases",
                                         [](Packer& p) {
                                           p.pack_array(1);
                                           p.pack_uint64(7);
                                         }}})),
                Code::kCorrupt, "HEARTBEAT.leases[0]: expected a map");
  ExpectRefused(Msg("CANCEL_REPLY", MapOf({{"request_id", Uint(1)},
                                           {"job_id", Str(FormatJobId(1))},
                                           {"state", Str("exploded")}})),
                Code::kCorrupt, "CANCEL_REPLY.state: unknown value");
}

TEST(CodecMalformedTest, NestedErrorsNameTheFieldButNeverEchoValues) {
  Frames frames = Encode(Submit{1, SampleJobSpec(), {}, std::nullopt, "h\n"});
  Result<Envelope> envelope = DecodeEnvelope(frames);
  ASSERT_TRUE(envelope.ok());
  // Rebuild the header with headers = ["Authorization: secret", 5].
  std::string header = MapOf({{"request_id", Uint(1)}, {"spec", [](Packer& p) {
                                                          p.pack_map(2);
                                                          PackStr(p, "endpoint");
                                                          PackStr(p, "http://m/classify");
                                                          PackStr(p, "headers");
                                                          p.pack_array(2);
                                                          PackStr(p, "Authorization: secret");
                                                          p.pack_uint64(5);
                                                        }}});
  Status status = DecodeStatus(Msg("SUBMIT", header, {"h\n"}));
  EXPECT_EQ(status.code(), Code::kCorrupt);
  EXPECT_NE(status.message().find("SUBMIT.spec.headers[1]: expected a string"), std::string::npos)
      << status.ToString();
  EXPECT_EQ(status.message().find("secret"), std::string::npos) << status.ToString();
}

TEST(CodecMalformedTest, MissingRequiredFieldsAreNamed) {
  ExpectRefused(Msg("READY", MapOf({{"credit", Uint(1)}})), Code::kCorrupt,
                "READY.worker: missing required field");
  std::vector<Entry> assign = {{"job_id", Str(FormatJobId(1))},
                               {"chunk_index", Uint(0)},
                               {"attempt", Uint(1)},
                               {"first_row", Uint(0)},
                               {"row_count", Uint(1)},
                               {"lease_ms", Uint(10)},
                               {"collector", Str("tcp://l:1")},
                               {"spec", [](Packer& p) { p.pack_map(0); }}};
  ExpectRefused(Msg("ASSIGN", MapOf(assign), {"h", "c"}), Code::kCorrupt,
                "ASSIGN.spec.endpoint: missing required field");
  assign.pop_back();
  ExpectRefused(Msg("ASSIGN", MapOf(assign), {"h", "c"}), Code::kCorrupt,
                "ASSIGN.spec: missing required field");
  ExpectRefused(Msg("ERROR", MapOf({})), Code::kCorrupt, "ERROR.code: missing required field");
}

TEST(CodecMalformedTest, AbsentOptionalFieldsTakeTheirDefaults) {
  std::string header = MapOf({{"request_id", Uint(1)}, {"spec", [](Packer& p) {
                                                          p.pack_map(1);
                                                          PackStr(p, "endpoint");
                                                          PackStr(p, "http://m/classify");
                                                        }}});
  Result<Message> decoded = Decode(Msg("SUBMIT", header, {"h\n"}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Submit& submit = std::get<Submit>(*decoded);
  EXPECT_EQ(submit.spec.label_field, "label");
  EXPECT_EQ(submit.spec.label_column, "label");
  EXPECT_EQ(submit.spec.error_label, "error");
  EXPECT_EQ(submit.spec.timeout_ms, kDefaultTimeoutMs);
  EXPECT_EQ(submit.spec.max_attempts, kDefaultMaxAttempts);
  EXPECT_TRUE(submit.spec.fields.empty());
  EXPECT_FALSE(submit.output_path.has_value());
  EXPECT_EQ(submit.header_record, "h\n");
}

TEST(CodecMalformedTest, UnknownFieldsAreIgnored) {
  std::vector<Entry> entries = ReadyEntries();
  entries.push_back({"future_field", [](Packer& p) {
                       p.pack_map(1);
                       PackStr(p, "nested");
                       p.pack_array(2);
                       p.pack_nil();
                       p.pack_double(1.5);
                     }});
  entries.push_back({"another", Uint(99)});
  std::string header = MapOf(entries);
  // A non-string key (7 -> true) is ignored too: rewrite the map count and append the pair.
  header[0] = static_cast<char>(0x80 | (entries.size() + 1));
  header += "\x07\xc3";
  Result<Message> decoded = Decode(Msg("READY", header));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == Message(Ready{"w1", 3, 0, ""}));
}

TEST(CodecMalformedTest, DuplicateKnownFieldIsRefused) {
  std::vector<Entry> entries = ReadyEntries();
  entries.push_back({"credit", Uint(1000)});
  ExpectRefused(Msg("READY", MapOf(entries)), Code::kCorrupt, "READY.credit: field appears twice");
}

TEST(CodecMalformedTest, InvalidJobIdsAreRefused) {
  for (const char* bad :
       {"../../etc/passwd", "j123", "J000000000000002a", "", "j00000000000000/a"}) {
    ExpectRefused(Msg("DROP_JOB", MapOf({{"job_id", Str(bad)}})), Code::kCorrupt,
                  "DROP_JOB.job_id: invalid job id");
  }
  ExpectRefused(Msg("HEARTBEAT", MapOf({{"leases",
                                         [](Packer& p) {
                                           p.pack_array(1);
                                           p.pack_map(3);
                                           PackStr(p, "job_id");
                                           PackStr(p, "x/../y");
                                           PackStr(p, "chunk_index");
                                           p.pack_uint64(0);
                                           PackStr(p, "attempt");
                                           p.pack_uint64(1);
                                         }}})),
                Code::kCorrupt, "HEARTBEAT.leases[0].job_id: invalid job id");
  ExpectRefused(Msg("STATUS", MapOf({{"request_id", Uint(1)}, {"job_id", Str("all")}})),
                Code::kCorrupt, "STATUS.job_id: invalid job id");
}

TEST(CodecMalformedTest, BulkFrameCountMustMatchTheCommand) {
  std::vector<Entry> chunk = {{"job_id", Str(FormatJobId(1))},
                              {"chunk_index", Uint(0)},
                              {"first_row", Uint(0)},
                              {"row_count", Uint(1)}};
  ExpectRefused(Msg("CHUNK", MapOf(chunk)), Code::kCorrupt, "CHUNK carries 0 bulk frames; want 1");
  ExpectRefused(Msg("CHUNK", MapOf(chunk), {"a", "b"}), Code::kCorrupt, "carries 2");
  ExpectRefused(Msg("READY", MapOf(ReadyEntries()), {"x"}), Code::kCorrupt, "want 0");
  EXPECT_TRUE(DecodeStatus(Msg("CHUNK", MapOf(chunk), {"a,b\n"})).ok());
}

TEST(CodecMalformedTest, UnknownErrorCodeIsReadable) {
  Result<Message> decoded =
      Decode(Msg("ERROR", MapOf({{"code", Str("quota_exceeded")}, {"message", Str("m")}})));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(std::get<ErrorReply>(*decoded).code, ErrorCode::kUnknown);
  EXPECT_EQ(std::get<ErrorReply>(*decoded).message, "m");
}

TEST(CodecMalformedTest, PeekRequestIdFindsTheIdOfARefusedRequest) {
  Frames frames = Msg("CANCEL", MapOf({{"request_id", Uint(77)}, {"job_id", Str("bad")}}));
  Result<Envelope> envelope = DecodeEnvelope(frames);
  ASSERT_TRUE(envelope.ok()) << envelope.status().ToString();
  EXPECT_EQ(PeekRequestId(*envelope), std::optional<std::uint64_t>(77));
  EXPECT_EQ(DecodeMessage(std::move(envelope).value()).status().code(), Code::kCorrupt);
  Result<Envelope> no_id = DecodeEnvelope(Msg("CANCEL", MapOf({{"request_id", Str("77")}})));
  ASSERT_TRUE(no_id.ok());
  EXPECT_EQ(PeekRequestId(*no_id), std::nullopt);
}

}  // namespace
}  // namespace sieve::proto
