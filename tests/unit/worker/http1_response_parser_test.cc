// Http1ResponseParser: framing by Content-Length, chunked coding and the end of the connection,
// split at every byte; interim answers; keep-alive rules; limits; and malformed answers, each
// refused with its reason.
#include "worker/http1_response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace sieve {
namespace {

using State = Http1ResponseParser::State;

// Feeds `response` in pieces of `step` bytes, then the end of the connection if still
// incomplete and `eof`.
State FeedInSteps(Http1ResponseParser& parser, std::string_view response, size_t step,
                  bool eof = true) {
  State state = State::kIncomplete;
  for (size_t at = 0; at < response.size() && state == State::kIncomplete; at += step) {
    size_t used = 0;
    state = parser.Feed(response.substr(at, step), &used);
  }
  if (state == State::kIncomplete && eof) state = parser.FinishAtEof();
  return state;
}

// The body of `response` parsed at every split size, which must all agree on `status`.
void ExpectBodyAtEverySplit(std::string_view response, int status, const std::string& body,
                            bool keep_alive) {
  for (size_t step = 1; step <= response.size(); ++step) {
    Http1ResponseParser parser(1024);
    ASSERT_EQ(FeedInSteps(parser, response, step), State::kComplete) << "step " << step;
    EXPECT_EQ(parser.status(), status);
    EXPECT_EQ(parser.body(), body) << "step " << step;
    EXPECT_EQ(parser.keep_alive(), keep_alive);
  }
}

TEST(Http1ResponseParserTest, ReadsBodiesFramedEachWayAtEverySplit) {
  ExpectBodyAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"label\":\"news\"}", 200,
                         R"({"label":"news"})", true);
  ExpectBodyAtEverySplit(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "7;name=value\r\n{\"label\r\n9\r\n\":\"news\"}\r\n0\r\nX-Trailer: t\r\n\r\n",
      200, R"({"label":"news"})", true);
  ExpectBodyAtEverySplit("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", 200,
                         "until close", false);
  ExpectBodyAtEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, "ok", true);
}

TEST(Http1ResponseParserTest, SkipsInterimAnswersAndKeepsRetryAfter) {
  Http1ResponseParser parser(1024);
  const std::string response =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nRetry-After:  7 \r\n"
      "Content-Length: 4\r\n\r\nbusy";
  ASSERT_EQ(FeedInSteps(parser, response, 3), State::kComplete);
  EXPECT_EQ(parser.status(), 503);
  EXPECT_EQ(parser.retry_after(), "7");
  EXPECT_EQ(parser.body(), "busy");
}

TEST(Http1ResponseParserTest, DecidesWhetherTheConnectionMayCarryMore) {
  const auto keep_alive = [](const std::string& response) {
    Http1ResponseParser parser(1024);
    EXPECT_EQ(FeedInSteps(parser, response, response.size()), State::kComplete) << response;
    return parser.keep_alive();
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"));
  // Chunked and Content-Length together: the chunks frame the body; the connection is dropped.
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
}

TEST(Http1ResponseParserTest, SaysHowManyBytesBelongToTheResponse) {
  Http1ResponseParser parser(1024);
  size_t used = 0;
  const std::string_view bytes = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 junk";
  ASSERT_EQ(parser.Feed(bytes, &used), State::kComplete);
  EXPECT_EQ(bytes.substr(used), "HTTP/1.1 junk");
  parser.Reset();
  ASSERT_EQ(parser.Feed("HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", &used),
            State::kComplete);
  EXPECT_EQ(parser.status(), 201);
  EXPECT_EQ(parser.body(), "x");
}

TEST(Http1ResponseParserTest, CutShortAnswersStayIncompleteAtTheEnd) {
  Http1ResponseParser nothing(1024);
  EXPECT_EQ(nothing.FinishAtEof(), State::kIncomplete);
  EXPECT_FALSE(nothing.started());
  for (const std::string response :
       {"HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"}) {
    Http1ResponseParser parser(1024);
    EXPECT_EQ(FeedInSteps(parser, response, 4), State::kIncomplete) << response;
    EXPECT_TRUE(parser.started());
  }
}

TEST(Http1ResponseParserTest, RefusesBodiesOverTheLimit) {
  for (const std::string response :
       {"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n0123456789AB",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n"}) {
    Http1ResponseParser parser(10);
    EXPECT_EQ(FeedInSteps(parser, response, 5, false), State::kTooLarge) << response;
  }
}

TEST(Http1ResponseParserTest, RefusesMalformedAnswersWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line: 'SSH-2.0-OpenSSH_9.2'"},
      {"HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line"},
      {"HTTP/1.1 20x OK\r\n\r\n", "not an HTTP/1.x status line"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x status line"},
      {"HTTP/1.1 004 No Content\r\n\r\n", "not an HTTP/1.x status line"},  // found by fuzzing
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line without a name and colon"},
      {"HTTP/1.1 200 OK\r\n: value\r\n\r\n", "header line without a name and colon"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "bad Content-Length '1x'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length '-1'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "bad Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
       "conflicting Content-Length headers"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer coding 'gzip'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size 'zz'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "bad chunk size ''"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
       "chunk data longer than its size"},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
       "101 Switching Protocols was never asked for"},
      {"HTTP/1.1 200 OK\r\nX: " + std::string(70'000, 'a') + "\r\n\r\n",
       "status line and headers over 64 KiB"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(70'000, '1'),
       "chunk line over 64 KiB"},
  };
  for (const auto& [response, reason] : cases) {
    Http1ResponseParser parser(1 << 20);
    EXPECT_EQ(FeedInSteps(parser, response, 1000, false), State::kMalformed) << response;
    EXPECT_EQ(parser.error().rfind(reason, 0), 0u) << parser.error();
  }
}

}  // namespace
}  // namespace sieve
