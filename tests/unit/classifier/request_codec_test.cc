#include "classifier/request_codec.h"

#include <gtest/gtest.h>

namespace sieve::classifier {
namespace {

TEST(RequestCodecTest, ReadsTheConfiguredField) {
  ParsedTexts p = ParseClassifyBody(R"({"website":"x","content":"hello"})", "content");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.texts, std::vector<std::string>{"hello"});
  p = ParseClassifyBody(R"({"website":"x","body":"other"})", "body");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.texts.front(), "other");
}

TEST(RequestCodecTest, RefusesBadBodies) {
  EXPECT_EQ(ParseClassifyBody("not json", "content").error->status, 400);
  EXPECT_EQ(ParseClassifyBody("", "content").error->status, 400);
  EXPECT_EQ(ParseClassifyBody("[1,2]", "content").error->status, 422);
  EXPECT_EQ(ParseClassifyBody(R"({"website":"x"})", "content").error->status, 422);
  ParsedTexts p = ParseClassifyBody(R"({"content": 5})", "content");
  EXPECT_EQ(p.error->status, 422);
  EXPECT_NE(p.error->detail.find("must be a string"), std::string::npos);
  EXPECT_EQ(ParseClassifyBody(R"({"content": null})", "content").error->status, 422);
  EXPECT_EQ(ParseClassifyBody("{\"content\": \"\xff\"}", "content").error->status, 400);
}

TEST(RequestCodecTest, DeepNestingIsRefusedWithoutCrashing) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_EQ(ParseClassifyBody(deep, "content").error->status, 422);
  const std::string unbalanced = std::string(200000, '{');
  EXPECT_EQ(ParseClassifyBody(unbalanced, "content").error->status, 400);
  EXPECT_EQ(ParseBatchBody("[" + deep + "]", "content", 10).error->status, 422);
}

TEST(RequestCodecTest, BatchKeepsOrderAndChecksEveryElement) {
  ParsedTexts p =
      ParseBatchBody(R"([{"content":"a"},{"content":"b"},{"content":"c"}])", "content", 10);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.texts, (std::vector<std::string>{"a", "b", "c"}));
  p = ParseBatchBody(R"([{"content":"a"},{"website":"b"}])", "content", 10);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->status, 422);
  EXPECT_NE(p.error->detail.find("element 1"), std::string::npos);
  EXPECT_TRUE(p.texts.empty());
  EXPECT_EQ(ParseBatchBody(R"({"content":"a"})", "content", 10).error->status, 422);
  EXPECT_EQ(ParseBatchBody(R"([{"content":"a"},{"content":"b"}])", "content", 1).error->status,
            413);
  p = ParseBatchBody("[]", "content", 10);
  EXPECT_FALSE(p.error);
  EXPECT_TRUE(p.texts.empty());
}

TEST(RequestCodecTest, FormatsAnswers) {
  EXPECT_EQ(FormatPrediction({"news", 0.93456}), R"({"label":"news","score":0.9346})");
  EXPECT_EQ(FormatPredictions({{"a", 1.0}, {"b", 0.5}}),
            R"([{"label":"a","score":1.0},{"label":"b","score":0.5}])");
  EXPECT_EQ(FormatPredictions({}), "[]");
  EXPECT_EQ(FormatDetail("bad \"thing\""), R"({"detail":"bad \"thing\""})");
  EXPECT_EQ(FormatDetail("\xff"), "{\"detail\":\"\xef\xbf\xbd\"}");  // replaced, not thrown
}

}  // namespace
}  // namespace sieve::classifier
