// MetricsServer: serves /metrics, /healthz and extra routes over real HTTP on loopback;
// refuses an address it cannot bind. HostPort parsing; CounterMirror.
#include "common/metrics_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <prometheus/counter.h>

#include "common/counter_mirror.h"
#include "common/host_port.h"
#include "tests/unit/common/metrics_test_util.h"

namespace sieve {
namespace {

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter()
        .Name("sieve_test_events_total")
        .Help("Events")
        .Register(*registry_)
        .Add({{"kind", "a"}})
        .Increment(3);
    std::vector<HttpRoute> routes = {
        {R"(/api/v1/things/([a-z]+))",
         [](const std::vector<std::string>& captures) {
           return HttpAnswer{200, "{\"thing\":\"" + captures.at(0) + "\"}"};
         }},
        {"/api/v1/broken", [](const std::vector<std::string>&) -> HttpAnswer {
           throw std::runtime_error("boom");
         }}};
    HttpRoute post;
    post.pattern = R"(/api/v1/echo/([a-z]+))";
    post.method = "POST";
    post.request_handler = [](const HttpRequest& request) {
      HttpAnswer answer{201, request.method + " " + request.captures.at(0) + " " +
                                 request.Header("x-TOKEN") + " " + request.body};
      answer.headers = {{"X-Seen", request.remote.substr(0, 10)}};
      return answer;
    };
    routes.push_back(post);
    auto server = MetricsServer::Start({"127.0.0.1", 0}, registry_, std::move(routes));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricsServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(MetricsServerTest, ServesTheRegistryAsPrometheusText) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("# TYPE sieve_test_events_total counter"), std::string::npos);
  EXPECT_NE(res->body.find("sieve_test_events_total{kind=\"a\"} 3"), std::string::npos);
  EXPECT_EQ(res->body, SerializeMetrics(*registry_));
}

TEST_F(MetricsServerTest, ServesHealthAndRoutesWithCaptures) {
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "ok\n");
  auto thing = client_->Get("/api/v1/things/bolt");
  ASSERT_TRUE(thing);
  EXPECT_EQ(thing->status, 200);
  EXPECT_EQ(thing->body, "{\"thing\":\"bolt\"}");
  EXPECT_EQ(thing->get_header_value("Content-Type"), "application/json");
}

TEST_F(MetricsServerTest, UnknownPathsAre404AndThrowingHandlers500) {
  auto missing = client_->Get("/api/v1/things/NOPE");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto broken = client_->Get("/api/v1/broken");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 500);
  auto still = client_->Get("/healthz");  // the server survives
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

TEST_F(MetricsServerTest, PostRoutesSeeTheWholeRequestAndSetHeaders) {
  auto res = client_->Post("/api/v1/echo/bolt", {{"X-Token", "abc"}}, "body!", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "POST bolt abc body!");
  EXPECT_EQ(res->get_header_value("X-Seen"), "127.0.0.1:");
  auto get = client_->Get("/api/v1/echo/bolt");  // a POST route answers no GET
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  auto post_to_get = client_->Post("/api/v1/things/bolt", "", "text/plain");
  ASSERT_TRUE(post_to_get);
  EXPECT_NE(post_to_get->status, 200);
}

TEST_F(MetricsServerTest, ABusyPortIsUnavailable) {
  auto second = MetricsServer::Start({"127.0.0.1", server_->port()}, registry_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(server_->port())), std::string::npos);
}

TEST(MetricsServerAnnounceTest, RefusesABadAddress) {
  auto server = MetricsServer::StartAndAnnounce("localhost", std::make_shared<prometheus::Registry>());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), Status::Code::kInvalidArgument);
}

TEST(HostPortTest, ParsesHostsPortsAndIpv6) {
  auto a = ParseHostPort("0.0.0.0:9400");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 9400);
  auto b = ParseHostPort(":0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 0);
  auto c = ParseHostPort("[::1]:80");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  for (const char* bad : {"9400", "host:", "host:65536", "host:-1", "host:12x", "host: 1"}) {
    EXPECT_EQ(ParseHostPort(bad).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

struct TwoCounts {
  uint64_t a = 0;
  uint64_t b = 0;
};

TEST(CounterMirrorTest, AdvancesByTheGrowthSinceLastPublish) {
  prometheus::Registry registry;
  CounterMirror<TwoCounts> mirror;
  mirror.Add(registry, "sieve_test_a_total", "a", &TwoCounts::a);
  mirror.Add(registry, "sieve_test_b_total", "b", &TwoCounts::b);
  TwoCounts counts;
  counts.a = 5;
  mirror.Publish(counts);
  counts.a = 7;
  counts.b = 1;
  mirror.Publish(counts);
  EXPECT_EQ(testing::MetricValue(registry, "sieve_test_a_total"), 7);
  EXPECT_EQ(testing::MetricValue(registry, "sieve_test_b_total"), 1);
  // A fresh struct (lower values) is a new baseline: counters never go down.
  mirror.Publish(TwoCounts{});
  counts = {2, 0};
  mirror.Publish(counts);
  EXPECT_EQ(testing::MetricValue(registry, "sieve_test_a_total"), 9);
}

}  // namespace
}  // namespace sieve
