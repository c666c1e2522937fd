// Round trips: every command encodes to the documented frames and decodes to an equal value.
#include <gtest/gtest.h>

#include "proto/codec.h"
#include "proto/job_id.h"
#include "tests/unit/proto/sample_messages.h"

namespace sieve::proto {
namespace {

TEST(CodecRoundTripTest, SamplesCoverEveryCommand) {
  std::vector<Message> samples = SampleMessages();
  ASSERT_EQ(samples.size(), kCommandCount);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(CommandOf(samples[i]), static_cast<Command>(i));
  }
}

TEST(CodecRoundTripTest, EveryCommandRoundTrips) {
  for (const Message& original : SampleMessages()) {
    const std::string_view name = CommandName(CommandOf(original));
    Frames frames = Encode(original);
    ASSERT_GE(frames.size(), 3u) << name;
    EXPECT_EQ(frames[0], std::string("SIEVE\x01", 6)) << name;
    EXPECT_EQ(frames[1], name);
    Result<Message> decoded = Decode(frames);
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status().ToString();
    EXPECT_TRUE(*decoded == original) << name;
  }
}

TEST(CodecRoundTripTest, BulkFramesAreRawBytesInSchemaOrder) {
  Assign assign{FormatJobId(1),
                0,
                1,
                0,
                1,
                1000,
                "tcp://l:1",
                "",
                SampleJobSpec(),
                "h\r\n",
                std::string("a,\"b\0c\"\r\n", 9)};
  Frames frames = Encode(assign);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[3], "h\r\n");
  EXPECT_EQ(frames[4], std::string("a,\"b\0c\"\r\n", 9));
  Result<Envelope> envelope = DecodeEnvelope(frames);
  ASSERT_TRUE(envelope.ok()) << envelope.status().ToString();
  EXPECT_EQ(envelope->command, Command::kAssign);
  EXPECT_EQ(envelope->header.get().type, msgpack::type::MAP);
  EXPECT_EQ(envelope->bulk, (Frames{frames[3], frames[4]}));
}

TEST(CodecRoundTripTest, EmptyOptionalsAreOmittedAndStayEmpty) {
  ErrorReply error{std::nullopt, ErrorCode::kMalformed, "bad"};
  StatusQuery query{9, std::nullopt};
  for (const Message& m : {Message(error), Message(query)}) {
    Frames frames = Encode(m);
    Result<Message> decoded = Decode(frames);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_TRUE(*decoded == m);
  }
  // The ERROR header is a 2-entry map: code and message, no request_id.
  EXPECT_EQ(static_cast<unsigned char>(Encode(error)[2][0]), 0x82);
}

TEST(CodecRoundTripTest, DefaultValuedMessagesRoundTrip) {
  Submit submit;
  submit.spec.endpoint = "http://x/classify";
  JobStatus status;
  status.job_id = FormatJobId(3);
  StatusReply reply;
  reply.request_id = 1;
  reply.jobs = {status};
  for (const Message& m : {Message(submit), Message(reply), Message(Heartbeat{}),
                           Message(Ready{"w", 0, 0, ""})}) {
    Result<Message> decoded = Decode(Encode(m));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_TRUE(*decoded == m) << CommandName(CommandOf(m));
  }
}

TEST(CodecRoundTripTest, ErrorCodesAndJobStatesRoundTripByName) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    ErrorReply e{1, static_cast<ErrorCode>(c), "m"};
    Result<Message> decoded = Decode(Encode(e));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::get<ErrorReply>(*decoded).code, e.code) << EnumName(e.code);
  }
  for (int s = 0; s <= static_cast<int>(JobState::kBudgetExhausted); ++s) {
    CancelReply r{1, FormatJobId(1), static_cast<JobState>(s)};
    Result<Message> decoded = Decode(Encode(r));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::get<CancelReply>(*decoded).state, r.state) << EnumName(r.state);
  }
}

TEST(CodecRoundTripTest, ErrorCodeForMapsStatusCodes) {
  EXPECT_EQ(ErrorCodeFor(Status::VersionMismatch("v")), ErrorCode::kVersionMismatch);
  EXPECT_EQ(ErrorCodeFor(Status::Corrupt("c")), ErrorCode::kMalformed);
  EXPECT_EQ(ErrorCodeFor(Status::TooLarge("t")), ErrorCode::kTooLarge);
  EXPECT_EQ(ErrorCodeFor(Status::NotFound("n")), ErrorCode::kUnknownJob);
  EXPECT_EQ(ErrorCodeFor(Status::Internal("i")), ErrorCode::kInternal);
}

}  // namespace
}  // namespace sieve::proto
