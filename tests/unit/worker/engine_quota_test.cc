// What the engine tells a rate-limited job's gate (worker/request_gate.h, docs/limits.md), on
// both transports through real HTTP on loopback: a 429 or a 503 with Retry-After, and the
// x-ratelimit-remaining-requests / -reset-requests headers of any answer, become one
// RateLimitSignal each; a 503 without Retry-After is an ordinary server error.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "engine_test_util.h"
#include "worker/http_engine.h"

namespace sieve::testing {
namespace {

// A gate that always lets requests through and records what it is told.
class RecordingGate final : public RequestGate {
 public:
  bool Ready() override { return true; }
  void Take() override { ++taken; }
  void OnUsage(uint64_t tokens) override { usage += tokens; }
  void OnRateLimited(const RateLimitSignal& signal) override { signals.push_back(signal); }

  int taken = 0;
  uint64_t usage = 0;
  std::vector<RateLimitSignal> signals;
};

class EngineQuotaTest : public ::testing::TestWithParam<HttpClient> {
 protected:
  // Labels `rows` rows (one request each) through the gate; every row must end labelled.
  ChunkLabels Label(const std::string& endpoint, size_t rows) {
    EngineOptions options = TestOptions(endpoint);
    options.http_client = GetParam();
    options.concurrency = 1;  // the requests in order, so the handler's sequence is the row's
    options.gate = &gate;
    Result<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options, SystemClock::Get());
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    CancelToken cancel;
    Result<ChunkLabels> labels = (*engine)->LabelRows(MakeBatch(rows), cancel);
    EXPECT_TRUE(labels.ok()) << labels.status().ToString();
    EXPECT_TRUE(labels->errors.empty()) << labels->errors.front().reason;
    return std::move(labels).value();
  }

  RecordingGate gate;
};

INSTANTIATE_TEST_SUITE_P(Transports, EngineQuotaTest,
                         ::testing::Values(HttpClient::kCurl, HttpClient::kNative),
                         [](const ::testing::TestParamInfo<HttpClient>& info) {
                           return info.param == HttpClient::kCurl ? "curl" : "native";
                         });

TEST_P(EngineQuotaTest, A429WithRateLimitHeadersReachesTheGateOnce) {
  TestHttpServer server([](const TestRequest& r, uint64_t n) {
    if (n == 1) {
      // Header names in any case, as providers spell them.
      return TestResponse{.status = 429,
                          .body = R"({"error":"rate limited"})",
                          .headers = {"Retry-After: 1", "X-RateLimit-Remaining-Requests: 0",
                                      "x-ratelimit-reset-requests: 1.5s"}};
    }
    return EchoLabel(r);
  });
  const ChunkLabels labels = Label(server.url(), 3);
  EXPECT_EQ(labels.labels[1], "L-site-1") << "the refused row is retried and labelled";
  ASSERT_EQ(gate.signals.size(), 1u);
  EXPECT_EQ(gate.signals[0].http_status, 429);
  EXPECT_EQ(gate.signals[0].retry_after_ms, 1000);
  ASSERT_TRUE(gate.signals[0].remaining_requests.has_value());
  EXPECT_EQ(*gate.signals[0].remaining_requests, 0u);
  EXPECT_EQ(gate.signals[0].reset_requests_ms, 1500);
  EXPECT_EQ(gate.taken, 4) << "3 rows, one retried";
}

TEST_P(EngineQuotaTest, ASuccessThatSpendsTheQuotaPausesAheadOfA429) {
  // Every answer carries the headers; only the one saying "0 left" is a signal, and its reset
  // ("6m0s", Go's duration format as OpenAI sends it) becomes milliseconds.
  TestHttpServer server([](const TestRequest& r, uint64_t n) {
    TestResponse response = EchoLabel(r);
    response.headers = {"x-ratelimit-remaining-requests: " + std::to_string(n == 2 ? 0 : 7),
                        "x-ratelimit-reset-requests: 6m0s"};
    return response;
  });
  const ChunkLabels labels = Label(server.url(), 4);
  EXPECT_EQ(labels.counters.http_status.at(200), 4u);
  ASSERT_EQ(gate.signals.size(), 1u);
  EXPECT_EQ(gate.signals[0].http_status, 0) << "a 2xx: no refusal, the quota is spent";
  EXPECT_EQ(gate.signals[0].retry_after_ms, 0);
  ASSERT_TRUE(gate.signals[0].remaining_requests.has_value());
  EXPECT_EQ(*gate.signals[0].remaining_requests, 0u);
  EXPECT_EQ(gate.signals[0].reset_requests_ms, 360'000);
}

TEST_P(EngineQuotaTest, A503WithRetryAfterPausesTheKeyAndOneWithoutDoesNot) {
  TestHttpServer server([](const TestRequest& r, uint64_t n) {
    if (n == 0) return TestResponse{.status = 503, .headers = {"Retry-After: 1"}};
    if (n == 1) return TestResponse{.status = 503};  // overloaded, no word on the quota
    return EchoLabel(r);
  });
  const ChunkLabels labels = Label(server.url(), 1);
  EXPECT_EQ(labels.labels[0], "L-site-0");
  EXPECT_EQ(labels.counters.http_status.at(503), 2u);
  ASSERT_EQ(gate.signals.size(), 1u) << "only the 503 with Retry-After speaks of a quota";
  EXPECT_EQ(gate.signals[0].http_status, 503);
  EXPECT_EQ(gate.signals[0].retry_after_ms, 1000);
  EXPECT_FALSE(gate.signals[0].remaining_requests.has_value());
  EXPECT_EQ(gate.signals[0].reset_requests_ms, 0);
}

TEST_P(EngineQuotaTest, AnswersWithoutQuotaHeadersSayNothing) {
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  Label(server.url(), 5);
  EXPECT_TRUE(gate.signals.empty());
  EXPECT_EQ(gate.taken, 5);
}

}  // namespace
}  // namespace sieve::testing
