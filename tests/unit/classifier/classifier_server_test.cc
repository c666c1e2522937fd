// ClassifierServer over real HTTP on loopback: the API, bad requests, and every fault flag.
#include "classifier/classifier_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/unit/classifier/server_test_util.h"

namespace sieve::classifier {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kNewsText[] =
    "Breaking news: parliament votes on the budget, live updates from our correspondents";
constexpr char kSportsText[] = "Premier League scores, match report and the league table";

void ExpectDetail(const httplib::Result& res, int status) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, status) << res->body;
  json body = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << res->body;
  EXPECT_TRUE(body.contains("detail") && body["detail"].is_string()) << res->body;
}

TEST(ClassifierServerTest, ClassifiesOneText) {
  auto server = StartTestServer();
  ASSERT_TRUE(server);
  EXPECT_GT(server->port(), 0);
  auto res = ClientFor(*server)->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json body = json::parse(res->body);
  EXPECT_EQ(body["label"], "news");
  EXPECT_GT(body["score"].get<double>(), 0.0);
  EXPECT_LE(body["score"].get<double>(), 1.0);
}

TEST(ClassifierServerTest, BatchAnswersInOrderAndMatchesSingles) {
  auto server = StartTestServer();
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  const std::vector<std::string> texts = {kSportsText, kNewsText, "", "cheap flights and hotels"};
  json batch = json::array();
  for (const auto& t : texts) batch.push_back({{"website", "w"}, {"content", t}});
  auto res = client->Post("/classify/batch", batch.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json answers = json::parse(res->body);
  ASSERT_EQ(answers.size(), texts.size());
  EXPECT_EQ(answers[0]["label"], "sports");
  EXPECT_EQ(answers[1]["label"], "news");
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto single = client->Post("/classify", ClassifyBody(texts[i]), "application/json");
    ASSERT_TRUE(single);
    EXPECT_EQ(single->body, answers[i].dump()) << "element " << i;
  }
}

TEST(ClassifierServerTest, AnswersAreByteIdenticalAcrossConcurrentRequests) {
  ClassifierOptions options;
  options.threads = 4;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  const std::string expected =
      ClientFor(*server)->Post("/classify", ClassifyBody(kNewsText), "application/json")->body;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto client = ClientFor(*server);
      for (int i = 0; i < 25; ++i) {
        auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
        if (!res || res->body != expected) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ClassifierServerTest, HealthzLabelsAndUnknownPaths) {
  auto server = StartTestServer();
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  auto labels = client->Get("/labels");
  ASSERT_TRUE(labels);
  EXPECT_EQ(json::parse(labels->body)["labels"].get<std::vector<std::string>>(), server->labels());
  EXPECT_EQ(server->labels().size(), 10u);
  ExpectDetail(client->Get("/nope"), 404);
}

TEST(ClassifierServerTest, BadRequestsGet4xxWithDetail) {
  ClassifierOptions options;
  options.max_body_bytes = 2048;
  options.max_batch = 3;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  ExpectDetail(client->Post("/classify", "this is not json", "application/json"), 400);
  ExpectDetail(client->Post("/classify", "{\"content\": \"unterminated", "application/json"), 400);
  ExpectDetail(client->Post("/classify", R"({"website":"x"})", "application/json"), 422);
  ExpectDetail(client->Post("/classify", R"({"content":["a"]})", "application/json"), 422);
  ExpectDetail(client->Post("/classify", R"("just a string")", "application/json"), 422);
  ExpectDetail(client->Post("/classify/batch", R"({"content":"x"})", "application/json"), 422);
  ExpectDetail(client->Post("/classify/batch", R"([{"content":"x"}, 7])", "application/json"), 422);
  ExpectDetail(client->Post("/classify/batch",
                            json::array({json{{"content", "a"}}, json{{"content", "b"}},
                                         json{{"content", "c"}}, json{{"content", "d"}}})
                                .dump(),
                            "application/json"),
               413);
  ExpectDetail(client->Post("/classify", ClassifyBody(std::string(4096, 'a')), "application/json"),
               413);
  // The server survived all of it.
  auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(ClassifierServerTest, TextFieldIsConfigurable) {
  ClassifierOptions options;
  options.text_field = "body";
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  auto res = client->Post("/classify", json{{"body", kSportsText}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["label"], "sports");
  ExpectDetail(client->Post("/classify", ClassifyBody(kSportsText), "application/json"), 422);
}

TEST(ClassifierServerTest, FailRateOneAnswersAll500) {
  ClassifierOptions options;
  options.faults.fail_rate = 1.0;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  for (int i = 0; i < 20; ++i) {
    ExpectDetail(client->Post("/classify", ClassifyBody(kNewsText), "application/json"), 500);
  }
}

TEST(ClassifierServerTest, FailRateHalfMixesFailuresAndAnswers) {
  ClassifierOptions options;
  options.faults.fail_rate = 0.5;
  options.faults.seed = 7;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  int failures = 0;
  for (int i = 0; i < 60; ++i) {
    auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
    ASSERT_TRUE(res);
    ASSERT_TRUE(res->status == 200 || res->status == 500) << res->status;
    failures += res->status == 500;
  }
  EXPECT_GT(failures, 10);
  EXPECT_LT(failures, 50);
}

TEST(ClassifierServerTest, OverloadAnswers429WithRetryAfter) {
  ClassifierOptions options;
  options.faults.overload_rate = 1.0;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto res = ClientFor(*server)->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ExpectDetail(res, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
}

TEST(ClassifierServerTest, RpmQuotaSaysWhatIsLeftThenAnswers429WithRetryAfter) {
  ClassifierOptions options;
  options.rpm = 2;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  // Admitted answers carry the headers too, counting down (docs/classifier.md).
  for (const char* remaining : {"1", "0"}) {
    auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("x-ratelimit-limit-requests"), "2");
    EXPECT_EQ(res->get_header_value("x-ratelimit-remaining-requests"), remaining);
    EXPECT_FALSE(res->has_header("Retry-After"));
    EXPECT_FALSE(res->has_header("x-ratelimit-remaining-tokens")) << "no --tpm";
  }
  auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ExpectDetail(res, 429);
  EXPECT_EQ(res->get_header_value("x-ratelimit-remaining-requests"), "0");
  const int retry_after = std::stoi(res->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(res->get_header_value("x-ratelimit-reset-requests").back(), 's');  // "NNNms"
}

TEST(ClassifierServerTest, GarbageAnswers200WithNonJson) {
  ClassifierOptions options;
  options.faults.garbage_rate = 1.0;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto res = ClientFor(*server)->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(json::parse(res->body, nullptr, false).is_discarded()) << res->body;
}

TEST(ClassifierServerTest, HangOutlastsClientTimeoutAndStopDoesNotWait) {
  ClassifierOptions options;
  options.faults.hang_rate = 1.0;  // hang_ms stays at its 60 s default
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto res = ClientFor(*server, /*read_timeout_ms=*/300)
                 ->Post("/classify", ClassifyBody(kNewsText), "application/json");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::Read);

  std::thread patient([&] {  // a client that would wait 30 s: Stop() must wake its request
    ClientFor(*server, 30000)->Post("/classify", ClassifyBody(kNewsText), "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = Clock::now();
  server->Stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  patient.join();
}

TEST(ClassifierServerTest, MaxInflightAnswers503UnderConcurrency) {
  ClassifierOptions options;
  options.threads = 8;
  options.max_inflight = 2;
  options.faults.latency_ms = 1000;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      auto res = ClientFor(*server)->Post("/classify", ClassifyBody(kNewsText), "application/json");
      if (res && res->status == 200) {
        ++ok;
      } else if (res && res->status == 503 && res->get_header_value("Retry-After") == "1") {
        ++busy;
      } else {
        ++other;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(busy.load(), 1);
  EXPECT_EQ(other.load(), 0);
}

// One thread, two keep-alive clients: A holds the thread and never goes idle; B's connection
// waits in the pool's queue. B must be served while A is still busy, once A's connection
// reaches the request bound (5), not only when A stops and its idle timeout (2 s) frees the
// thread. A keeps going until B is answered or for 10 s; with no bound, B is served only after.
TEST(ClassifierServerTest, QueuedConnectionIsServedWhileAnotherStaysBusy) {
  ClassifierOptions options;
  options.threads = 1;
  options.keep_alive_max_requests = 5;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto a = ClientFor(*server);
  a->set_keep_alive(true);
  ASSERT_TRUE(a->Post("/classify", ClassifyBody(kNewsText), "application/json"));  // A has it
  std::atomic<bool> a_busy{true};
  std::atomic<int> b_status{0};   // 0: not answered yet, -1: failed
  std::atomic<bool> b_answered_while_a_busy{false};
  std::thread b([&] {
    auto client = ClientFor(*server, 30000);
    auto res = client->Post("/classify", ClassifyBody(kSportsText), "application/json");
    b_answered_while_a_busy = a_busy.load();
    b_status = res ? res->status : -1;
  });
  // A keeps its connection busy (httplib reconnects it when the server closes it).
  bool a_failed = false;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (b_status == 0 && Clock::now() < deadline) {
    if (!a->Post("/classify", ClassifyBody(kNewsText), "application/json")) {
      a_failed = true;
      break;
    }
  }
  a_busy = false;
  b.join();
  EXPECT_FALSE(a_failed);
  EXPECT_EQ(b_status, 200);
  EXPECT_TRUE(b_answered_while_a_busy) << "B was served only after A stopped";
}

TEST(ClassifierServerTest, LatencyDelaysAnswers) {
  ClassifierOptions options;
  options.faults.latency_ms = 200;
  options.faults.jitter_ms = 50;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  const auto start = Clock::now();
  auto res = client->Post("/classify", ClassifyBody(kNewsText), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(200));
}

TEST(ClassifierServerTest, StartRefusesBadOptionsAndModels) {
  ClassifierOptions bad;
  bad.port = 0;
  bad.model = CorpusModel();
  bad.faults.fail_rate = 0.8;
  bad.faults.hang_rate = 0.8;
  EXPECT_EQ(ClassifierServer::Start(bad).status().code(), Status::Code::kInvalidArgument);

  const std::string path = ::testing::TempDir() + "/corrupt_model.bin";
  std::ofstream(path, std::ios::binary) << "SIEVENB garbage garbage garbage";
  ClassifierOptions corrupt;
  corrupt.port = 0;
  corrupt.model_path = path;
  Status status = ClassifierServer::Start(corrupt).status();
  EXPECT_EQ(status.code(), Status::Code::kCorrupt) << status.ToString();
  EXPECT_NE(status.message().find(path), std::string::npos);
}

TEST(ClassifierServerTest, PortInUseIsUnavailable) {
  auto first = StartTestServer();
  ASSERT_TRUE(first);
  ClassifierOptions second;
  second.host = "127.0.0.1";
  second.port = first->port();
  second.model = CorpusModel();
  EXPECT_EQ(ClassifierServer::Start(second).status().code(), Status::Code::kUnavailable);
}

TEST(ClassifierServerTest, DefaultModelIsFoundAndLoaded) {
  ClassifierOptions options;
  options.port = 0;  // no model, no model_path: the model built from examples/
  Result<std::unique_ptr<ClassifierServer>> server = ClassifierServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ((*server)->labels(), CorpusModel()->labels());
}

}  // namespace
}  // namespace sieve::classifier
