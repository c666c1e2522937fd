// Logging: the JSON line format (fields, escaping, job and chunk ids lifted from the message)
// and ConfigureLogging's validation.
#include "common/logging.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sieve {
namespace {

constexpr int64_t kNoon = 1714564800123;  // 2024-05-01T12:00:00.123Z

nlohmann::json Line(std::string_view message) {
  return nlohmann::json::parse(FormatJsonLogLine(kNoon, "warning", "sieve-broker", message));
}

TEST(JsonLogLineTest, HoldsTimeLevelLoggerAndMessage) {
  nlohmann::json line = Line("collector silent");
  EXPECT_EQ(line["time"], "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["logger"], "sieve-broker");
  EXPECT_EQ(line["msg"], "collector silent");
  EXPECT_FALSE(line.contains("job"));
  EXPECT_FALSE(line.contains("chunk"));
}

TEST(JsonLogLineTest, LiftsJobAndChunkIds) {
  nlohmann::json line = Line("job j0123456789abcdef chunk 42: lease 3 expired");
  EXPECT_EQ(line["job"], "j0123456789abcdef");
  EXPECT_EQ(line["chunk"], 42);
  EXPECT_EQ(Line("job j0123456789abcdef: output opened")["job"], "j0123456789abcdef");
  EXPECT_FALSE(Line("job j0123456789abcdef: output opened").contains("chunk"));
}

TEST(JsonLogLineTest, IgnoresThingsThatOnlyLookLikeIds) {
  nlohmann::json line = Line("job jxyz is not an id; chunk size is large; job j0123");
  EXPECT_FALSE(line.contains("job"));
  EXPECT_FALSE(line.contains("chunk"));
  // The first well-formed id wins.
  EXPECT_EQ(Line("job j12 then job jaaaaaaaaaaaaaaaa")["job"], "jaaaaaaaaaaaaaaaa");
  EXPECT_EQ(Line("chunk x, chunk 7")["chunk"], 7);
}

TEST(JsonLogLineTest, EscapesQuotesControlCharactersAndBadUtf8) {
  const std::string message = "said \"hi\"\n\ttab \\ and \xff\xfe bytes";
  nlohmann::json line = Line(message);  // parses: the line is valid JSON
  EXPECT_EQ(line["msg"], "said \"hi\"\n\ttab \\ and \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  EXPECT_EQ(FormatJsonLogLine(kNoon, "info", "x", "a\nb").find('\n'), std::string::npos)
      << "one object per line";
}

TEST(ConfigureLoggingTest, RefusesUnknownFormatsAndLevels) {
  EXPECT_EQ(ConfigureLogging("t", "xml", "info").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ConfigureLogging("t", "json", "loud").code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(ConfigureLogging("t", "json", "debug").ok());
  EXPECT_TRUE(ConfigureLogging("t", "text", "off").ok());
}

}  // namespace
}  // namespace sieve
