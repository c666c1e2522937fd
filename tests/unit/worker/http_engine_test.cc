// The engine through real HTTP on loopback against TestHttpServer, on both transports: labels,
// request shape,
// concurrency, retries, faults (resets, stalls, truncation), malformed answers, batch mode,
// the retry budget, several chunks at once, cancellation and wake-ups.
#include "worker/http_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine_test_util.h"

namespace sieve::testing {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<HttpEngine> MakeEngine(const EngineOptions& options,
                                       const Clock& clock = SystemClock::Get()) {
  Result<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options, clock);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return std::move(engine).value();
}

ChunkLabels Label(const EngineOptions& options, const RowBatch& batch) {
  auto engine = MakeEngine(options);
  CancelToken cancel;
  Result<ChunkLabels> labels = engine->LabelRows(batch, cancel);
  EXPECT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->labels.size(), batch.rows.size());
  return std::move(labels).value();
}

// Every test runs on both transports: libcurl's multi interface and the native HTTP/1.1 client.
class HttpEngineTest : public ::testing::TestWithParam<HttpClient> {
 protected:
  EngineOptions Options(const std::string& endpoint) const {
    EngineOptions options = TestOptions(endpoint);
    options.http_client = GetParam();
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(Transports, HttpEngineTest,
                         ::testing::Values(HttpClient::kCurl, HttpClient::kNative),
                         [](const ::testing::TestParamInfo<HttpClient>& info) {
                           return info.param == HttpClient::kCurl ? "curl" : "native";
                         });

TEST_P(HttpEngineTest, LabelsEveryRowInOrder) {
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  const RowBatch batch = MakeBatch(300);
  const ChunkLabels result = Label(Options(server.url()), batch);
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    EXPECT_EQ(result.labels[i], "L-site-" + std::to_string(i));
  }
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.counters.rows_ok, 300u);
  EXPECT_EQ(result.counters.requests, 300u);
  EXPECT_EQ(result.counters.http_status.at(200), 300u);
  EXPECT_LE(server.connections(), 8u) << "keep-alive connections are reused";
}

TEST_P(HttpEngineTest, SendsTheExpectedRequest) {
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  EngineOptions options = Options(server.url());
  options.headers = {"Authorization: Bearer secret-token"};
  Label(options, MakeBatch(3, "job-1", 12));
  std::vector<TestRequest> received = server.received();
  ASSERT_EQ(received.size(), 3u);
  std::set<std::string> keys;
  for (const TestRequest& r : received) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/classify");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("authorization"), "Bearer secret-token");
    EXPECT_EQ(r.headers.count("expect"), 0u);
    keys.insert(r.headers.at("idempotency-key"));
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body.size(), 2u);
    EXPECT_TRUE(body.contains("website") && body.contains("content"));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"job-1/12/0", "job-1/12/1", "job-1/12/2"}));
}

TEST_P(HttpEngineTest, FieldsRestrictTheBody) {
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    TestResponse response;
    response.body = nlohmann::json{{"label", r.body}}.dump();
    return response;
  });
  EngineOptions options = Options(server.url());
  options.fields = {"content"};
  const ChunkLabels result = Label(options, MakeBatch(1));
  EXPECT_EQ(result.labels[0], R"({"content":"text 0"})");
}

TEST_P(HttpEngineTest, EscapesAnyUtf8AndRefusesInvalidUtf8PerRow) {
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    TestResponse response;
    response.body =
        nlohmann::json{{"label", nlohmann::json::parse(r.body)["content"]}}.dump();
    return response;
  });
  RowBatch batch = MakeBatch(3);
  const std::string tricky = "quote \" backslash \\ nl \n cr \r tab \t ctl \x01\x1f é 中 😀";
  batch.rows[0][1] = tricky;
  batch.rows[1][1] = "bad \xff byte";
  const ChunkLabels result = Label(Options(server.url()), batch);
  EXPECT_EQ(result.labels[0], tricky);
  EXPECT_EQ(result.labels[1], "error");
  EXPECT_EQ(result.labels[2], "text 2");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].row, 1u);
  EXPECT_EQ(result.errors[0].reason, "not sent: invalid UTF-8 in column 'content' at byte 4");
  EXPECT_EQ(result.counters.rows_not_sent, 1u);
  EXPECT_EQ(server.requests(), 2u);
}

TEST_P(HttpEngineTest, NeverExceedsTheConcurrencyLimit) {
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    TestResponse response = EchoLabel(r);
    response.delay = milliseconds(20);
    return response;
  });
  EngineOptions options = Options(server.url());
  options.concurrency = 4;
  const ChunkLabels result = Label(options, MakeBatch(40));
  EXPECT_EQ(result.counters.rows_ok, 40u);
  EXPECT_LE(server.max_concurrent(), 4);
  EXPECT_GE(server.max_concurrent(), 2) << "requests overlap";
}

TEST_P(HttpEngineTest, RetriesServerErrorsUntilSuccess) {
  std::mutex mu;
  std::map<std::string, int> attempts;
  TestHttpServer server([&](const TestRequest& r, uint64_t) {
    std::lock_guard<std::mutex> lock(mu);
    if (++attempts[r.headers.at("idempotency-key")] <= 2) return TestResponse{.status = 500};
    return EchoLabel(r);
  });
  EngineOptions options = Options(server.url());
  options.retry_budget_min = 1000;
  const ChunkLabels result = Label(options, MakeBatch(20));
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.counters.requests, 60u);
  EXPECT_EQ(result.counters.retries, 40u);
  EXPECT_EQ(result.counters.http_status.at(500), 40u);
  EXPECT_EQ(result.labels[19], "L-site-19");
}

TEST_P(HttpEngineTest, GivesUpAfterTheRetriesWithTheReason) {
  TestHttpServer server([](const TestRequest&, uint64_t) { return TestResponse{.status = 500}; });
  const ChunkLabels result = Label(Options(server.url()), MakeBatch(3));
  ASSERT_EQ(result.errors.size(), 3u);
  for (const RowError& e : result.errors) EXPECT_EQ(e.reason, "HTTP 500 after 4 attempts");
  EXPECT_EQ(server.requests(), 12u);
  EXPECT_EQ(result.labels, (std::vector<std::string>(3, "error")));
}

TEST_P(HttpEngineTest, DoesNotRetryClientErrors) {
  TestHttpServer server([](const TestRequest&, uint64_t) {
    return TestResponse{.status = 422, .body = "{\"detail\":\"bad\nrow\"}"};
  });
  EngineOptions options = Options(server.url());
  options.error_label = "ERR";
  const ChunkLabels result = Label(options, MakeBatch(2));
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].reason, "HTTP 422: {\"detail\":\"bad row\"}");
  EXPECT_EQ(result.labels[0], "ERR");
  EXPECT_EQ(server.requests(), 2u);
}

TEST_P(HttpEngineTest, MalformedAnswersAreFinalWithTheirReason) {
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    const std::string site = nlohmann::json::parse(r.body)["website"];
    if (site == "site-0") return TestResponse{.body = "<html>oops</html>"};
    if (site == "site-1") return TestResponse{.body = R"({"category":"news"})"};
    if (site == "site-2") return TestResponse{.body = R"({"label":["news"]})"};
    return TestResponse{.body = R"({"label":3})"};
  });
  const ChunkLabels result = Label(Options(server.url()), MakeBatch(4));
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].reason, "response is not JSON: '<html>oops</html>'");
  EXPECT_EQ(result.errors[1].reason, "no field 'label' in response");
  EXPECT_EQ(result.errors[2].reason, "field 'label' is array, not a string or number");
  EXPECT_EQ(result.labels[3], "3");
  EXPECT_EQ(server.requests(), 4u);
}

TEST_P(HttpEngineTest, ReadsTheLabelThroughAJsonPointer) {
  TestHttpServer server([](const TestRequest&, uint64_t) {
    return TestResponse{.body = R"({"result":{"label":"sports","score":0.9}})"};
  });
  EngineOptions options = Options(server.url());
  options.label_field = "/result/label";
  EXPECT_EQ(Label(options, MakeBatch(1)).labels[0], "sports");
}

TEST_P(HttpEngineTest, RecoversFromResetsTruncationAndEarlyCloses) {
  std::mutex mu;
  std::map<std::string, int> attempts;
  TestHttpServer server([&](const TestRequest& r, uint64_t) {
    TestResponse response = EchoLabel(r);
    std::lock_guard<std::mutex> lock(mu);
    const int attempt = ++attempts[r.headers.at("idempotency-key")];
    if (attempt == 1) response.fault = Fault::kReset;
    if (attempt == 2) response.fault = Fault::kTruncate;
    if (attempt == 3) response.fault = Fault::kCloseEarly;
    return response;
  });
  EngineOptions options = Options(server.url());
  options.retry_budget_min = 1000;
  const ChunkLabels result = Label(options, MakeBatch(30));
  EXPECT_TRUE(result.errors.empty()) << result.errors[0].reason;
  EXPECT_EQ(result.labels[29], "L-site-29");
  EXPECT_GT(result.counters.retries, 0u);
  EXPECT_GT(result.counters.transport_errors.size(), 1u);
}

TEST_P(HttpEngineTest, EachFaultEndsAsAReasonWhenItPersists) {
  const std::vector<std::pair<Fault, std::string>> cases = {
      {Fault::kReset, "connection reset"},
      {Fault::kTruncate, "truncated response"},
      {Fault::kCloseEarly, "server closed the connection without answering (2 attempts)"},
      {Fault::kStall, "timeout after 0.3 s (2 attempts)"},
  };
  for (const auto& [fault, reason] : cases) {
    TestHttpServer server([f = fault](const TestRequest&, uint64_t) {
      return TestResponse{.fault = f};
    });
    EngineOptions options = Options(server.url());
    options.retries = 1;
    options.timeout = milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    const ChunkLabels result = Label(options, MakeBatch(4));
    // Two 300 ms attempts and a backoff, about 0.7 s: a bound wide enough for sanitizers on a
    // loaded machine that still catches a timeout ten times too long (two 3 s attempts).
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
    ASSERT_EQ(result.errors.size(), 4u);
    EXPECT_NE(result.errors[0].reason.find(reason), std::string::npos)
        << result.errors[0].reason;
    EXPECT_EQ(server.requests(), 8u) << reason;
  }
}

TEST_P(HttpEngineTest, ConnectionRefusedIsRetriedThenReported) {
  int port;
  {
    TestHttpServer gone([](const TestRequest&, uint64_t) { return TestResponse{}; });
    port = gone.port();
  }
  EngineOptions options = Options("http://127.0.0.1:" + std::to_string(port) + "/x");
  options.retries = 2;
  const ChunkLabels result = Label(options, MakeBatch(2));
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].reason.rfind("cannot connect: ", 0), 0u) << result.errors[0].reason;
  EXPECT_NE(result.errors[0].reason.find("(3 attempts)"), std::string::npos);
  EXPECT_EQ(result.counters.transport_errors.at("connect"), 6u);
}

TEST_P(HttpEngineTest, HonoursRetryAfterOnTheEngineClock) {
  std::atomic<int> n{0};
  TestHttpServer server([&](const TestRequest& r, uint64_t) {
    if (n++ == 0) return TestResponse{.status = 429, .headers = {"Retry-After: 5"}};
    return EchoLabel(r);
  });
  FakeClock clock;
  auto engine = MakeEngine(Options(server.url()), clock);
  ASSERT_TRUE(engine->Submit(std::make_shared<RowBatch>(MakeBatch(1))).ok());
  EXPECT_TRUE(engine->Poll(milliseconds(150)).empty());
  clock.Advance(4'900);
  EXPECT_TRUE(engine->Poll(milliseconds(100)).empty());
  EXPECT_EQ(server.requests(), 1u) << "no retry before Retry-After";
  clock.Advance(100);
  std::vector<HttpEngine::FinishedChunk> done = engine->Poll(milliseconds(2000));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].labels.labels[0], "L-site-0");
  EXPECT_EQ(done[0].labels.counters.http_status.at(429), 1u);
}

TEST_P(HttpEngineTest, RetryBudgetStopsARetryStorm) {
  TestHttpServer server([](const TestRequest&, uint64_t) { return TestResponse{.status = 503}; });
  EngineOptions options = Options(server.url());
  options.concurrency = 2;
  options.retry_budget_ratio = 0;
  options.retry_budget_min = 4;
  options.fail_fast_streak = 6;
  const ChunkLabels result = Label(options, MakeBatch(200));
  EXPECT_EQ(result.errors.size(), 200u);
  EXPECT_TRUE(result.counters.retry_budget_exhausted);
  EXPECT_EQ(result.counters.retries, 4u);
  EXPECT_LT(server.requests(), 20u) << "failing fast, not hammering the endpoint";
  EXPECT_GT(result.counters.rows_not_sent, 180u);
  EXPECT_NE(result.errors.back().reason.find("retry budget (4 retries) is spent; last error: "
                                             "HTTP 503"),
            std::string::npos)
      << result.errors.back().reason;
}

TEST_P(HttpEngineTest, AdaptiveLimitBacksOffOnOverload) {
  std::atomic<int> n{0};
  TestHttpServer server([&](const TestRequest& r, uint64_t) {
    if (n++ < 40) return TestResponse{.status = 503};
    return EchoLabel(r);
  });
  EngineOptions options = Options(server.url());
  options.concurrency = 16;
  options.adaptive = true;
  options.retries = 10;
  options.retry_budget_min = 1000;
  auto engine = MakeEngine(options);
  CancelToken cancel;
  Result<ChunkLabels> result = engine->LabelRows(MakeBatch(20), cancel);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->errors.empty());
  EXPECT_LT(engine->concurrency_limit(), 16);
  EXPECT_GE(engine->concurrency_limit(), 1);
}

TEST_P(HttpEngineTest, BatchModeSendsArraysAndChecksTheLength) {
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    const auto rows = nlohmann::json::parse(r.body);
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& row : rows) {
      labels.push_back({{"label", "B-" + row["website"].get<std::string>()}});
    }
    if (rows[0]["website"] == "site-4") labels.erase(labels.begin());  // one short
    return TestResponse{.body = labels.dump()};
  });
  EngineOptions options = Options(server.url());
  options.batch_size = 4;
  const ChunkLabels result = Label(options, MakeBatch(10));
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(result.labels[0], "B-site-0");
  EXPECT_EQ(result.labels[9], "B-site-9");
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_EQ(result.errors[0].row, 4u);
  EXPECT_EQ(result.errors[0].reason, "batch answer has 3 elements for 4 rows");
  std::set<std::string> keys;
  for (const TestRequest& r : server.received()) keys.insert(r.headers.at("idempotency-key"));
  EXPECT_EQ(keys, (std::set<std::string>{"job/7/0-3", "job/7/4-7", "job/7/8-9"}));
}

TEST_P(HttpEngineTest, RunsSeveralChunksOnOnePool) {
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  auto engine = MakeEngine(Options(server.url()));
  std::map<HttpEngine::ChunkId, size_t> sizes;
  for (size_t rows : {50u, 0u, 20u, 70u}) {
    Result<HttpEngine::ChunkId> id = engine->Submit(std::make_shared<RowBatch>(MakeBatch(rows)));
    ASSERT_TRUE(id.ok());
    sizes[*id] = rows;
  }
  std::map<HttpEngine::ChunkId, ChunkLabels> done;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done.size() < sizes.size() && std::chrono::steady_clock::now() < give_up) {
    for (auto& chunk : engine->Poll(milliseconds(100))) done[chunk.id] = std::move(chunk.labels);
  }
  ASSERT_EQ(done.size(), 4u);
  for (const auto& [id, labels] : done) {
    ASSERT_EQ(labels.labels.size(), sizes[id]);
    if (sizes[id] > 0) {
      EXPECT_EQ(labels.labels.back(), "L-site-" + std::to_string(sizes[id] - 1));
    }
  }
  EXPECT_EQ(engine->pending_chunks(), 0u);
  EXPECT_EQ(server.requests(), 140u);
}

TEST_P(HttpEngineTest, EnginesSharingABudgetStayUnderItTogether) {
  // Two jobs' engines on one worker: each may have 6 in flight, the worker only 5.
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    TestResponse response = EchoLabel(r);
    response.delay = milliseconds(20);
    return response;
  });
  RequestBudget budget(5);
  EngineOptions options = Options(server.url());
  options.concurrency = 6;
  options.shared_budget = &budget;
  auto first = MakeEngine(options);
  auto second = MakeEngine(options);
  ASSERT_TRUE(first->Submit(std::make_shared<RowBatch>(MakeBatch(60))).ok());
  ASSERT_TRUE(second->Submit(std::make_shared<RowBatch>(MakeBatch(60))).ok());
  size_t finished = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (finished < 2 && std::chrono::steady_clock::now() < give_up) {
    finished += first->Poll(milliseconds(10)).size();
    finished += second->Poll(milliseconds(10)).size();
    EXPECT_LE(budget.used(), 5);
    EXPECT_EQ(budget.used(), first->in_flight() + second->in_flight());
  }
  ASSERT_EQ(finished, 2u);
  EXPECT_EQ(server.requests(), 120u);
  EXPECT_LE(server.max_concurrent(), 5);
  EXPECT_GE(server.max_concurrent(), 3) << "requests overlap";

  // An engine destroyed with requests in flight gives their share back.
  ASSERT_TRUE(first->Submit(std::make_shared<RowBatch>(MakeBatch(10))).ok());
  (void)first->Poll(milliseconds(5));
  EXPECT_GT(budget.used(), 0);
  first.reset();
  EXPECT_EQ(budget.used(), 0);
}

TEST_P(HttpEngineTest, CancelAbortsAChunkAndWakeupCutsAPollShort) {
  TestHttpServer server(
      [](const TestRequest&, uint64_t) { return TestResponse{.fault = Fault::kStall}; });
  EngineOptions options = Options(server.url());
  options.timeout = milliseconds(10'000);
  auto engine = MakeEngine(options);
  Result<HttpEngine::ChunkId> id = engine->Submit(std::make_shared<RowBatch>(MakeBatch(5)));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(engine->Poll(milliseconds(100)).empty());
  EXPECT_EQ(engine->in_flight(), 5);
  ASSERT_TRUE(engine->Cancel(*id).ok());
  EXPECT_EQ(engine->in_flight(), 0);
  EXPECT_FALSE(engine->Cancel(*id).ok());

  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(50));
    engine->Wakeup();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(engine->Poll(milliseconds(5'000)).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2'000));
  waker.join();
}

TEST_P(HttpEngineTest, LabelRowsHonoursTheCancelToken) {
  TestHttpServer server(
      [](const TestRequest&, uint64_t) { return TestResponse{.fault = Fault::kStall}; });
  EngineOptions options = Options(server.url());
  options.timeout = milliseconds(10'000);
  auto engine = MakeEngine(options);
  CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(100));
    cancel.Cancel();
  });
  Result<ChunkLabels> result = engine->LabelRows(MakeBatch(3), cancel);
  canceller.join();
  EXPECT_EQ(result.status().code(), Status::Code::kCancelled);
  EXPECT_EQ(engine->pending_chunks(), 0u);
}

TEST_P(HttpEngineTest, RefusesBadOptionsAndBatches) {
  EngineOptions options = Options("ftp://x");
  EXPECT_EQ(HttpEngine::Create(options).status().code(), Status::Code::kInvalidArgument);
  options = Options("http://127.0.0.1:1/");
  options.label_field = "/a~2";
  EXPECT_EQ(HttpEngine::Create(options).status().code(), Status::Code::kInvalidArgument);
  options = Options("http://127.0.0.1:1/");
  options.headers = {"NoColon"};
  EXPECT_EQ(HttpEngine::Create(options).status().code(), Status::Code::kInvalidArgument);
  options = Options("http://127.0.0.1:1/");
  options.fields = {"nope"};
  auto engine = MakeEngine(options);
  Result<HttpEngine::ChunkId> id = engine->Submit(std::make_shared<RowBatch>(MakeBatch(1)));
  EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(id.status().message().find("'nope'"), std::string::npos);
}

}  // namespace
}  // namespace sieve::testing
