#include "proto/frames.h"

#include <gtest/gtest.h>

namespace sieve::proto {
namespace {

TEST(FramesTest, PopIdentitySplitsTheFirstFrame) {
  Result<Routed> routed = PopIdentity({"peer-1", "SIEVE\x01", "READY", "\x80"});
  ASSERT_TRUE(routed.ok()) << routed.status().ToString();
  EXPECT_EQ(routed->identity, "peer-1");
  EXPECT_EQ(routed->body, (Frames{"SIEVE\x01", "READY", "\x80"}));
}

TEST(FramesTest, PushIdentityIsTheInverse) {
  Frames frames = PushIdentity(Routed{"id", {"a", "b"}});
  EXPECT_EQ(frames, (Frames{"id", "a", "b"}));
  Result<Routed> back = PopIdentity(frames);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->identity, "id");
  EXPECT_EQ(back->body, (Frames{"a", "b"}));
}

TEST(FramesTest, PopIdentityRefusesBadIdentities) {
  EXPECT_EQ(PopIdentity({}).status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(PopIdentity({""}).status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(PopIdentity({std::string(256, 'x'), "a"}).status().code(), Status::Code::kCorrupt);
  EXPECT_TRUE(PopIdentity({std::string(255, 'x')}).ok());
}

TEST(FramesTest, DescribeShowsSizesAndCommandButNoContent) {
  std::string text = DescribeFrames({"SIEVE\x01", "READY", "secret-token", std::string(10, 'x')});
  EXPECT_EQ(text, "4 frames [6B, READY, 12B, 10B]");
  EXPECT_EQ(DescribeFrames({"a", "bad\ncommand"}), "2 frames [1B, 11B]");
  EXPECT_EQ(DescribeFrames({}), "0 frames []");
}

}  // namespace
}  // namespace sieve::proto
