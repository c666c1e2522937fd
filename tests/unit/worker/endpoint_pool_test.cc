// EndpointPool on a FakeClock (balancing, cooldown and probes, 429 rests, panic picks) and the
// engine over a pool of real loopback servers (a dead replica, a failing one, a slow one).
#include "worker/endpoint_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>

#include "common/clock.h"
#include "engine_test_util.h"
#include "worker/http_engine.h"

namespace sieve {
namespace {

using Answer = EndpointPool::Answer;
using std::chrono::microseconds;
using std::chrono::milliseconds;

EndpointPool MakePool(const FakeClock& clock, size_t n = 3) {
  std::vector<std::string> urls;
  for (size_t i = 0; i < n; ++i) urls.push_back("http://h" + std::to_string(i) + "/c");
  EndpointPoolOptions options;  // threshold 3, cooldown 1 s doubling to 30 s
  return EndpointPool(urls, options, clock);
}

TEST(EndpointPoolTest, SpreadsRequestsOverIdleEndpointsRoundRobin) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock);
  std::map<int, int> picks;
  for (int i = 0; i < 9; ++i) ++picks[pool.Pick(0)];
  EXPECT_EQ(picks[0], 3);
  EXPECT_EQ(picks[1], 3);
  EXPECT_EQ(picks[2], 3);
}

TEST(EndpointPoolTest, TalliesCountEachAnswerOnceAndStartAgainWhenTaken) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  pool.Finish(pool.Pick(0), Answer::kSuccess, microseconds(1000));  // endpoint 0
  pool.Finish(pool.Pick(0), Answer::kFailure, microseconds(1000));  // endpoint 1
  const int rested = pool.Pick(0);
  pool.Finish(rested, Answer::kRateLimited, microseconds(1000));
  pool.Finish(pool.Pick(0), Answer::kNeutral, microseconds(1000));
  pool.Forget(pool.Pick(0));  // dropped: not an answer
  std::vector<EndpointPool::Tally> tallies = pool.TakeTallies();
  ASSERT_EQ(tallies.size(), 2u);
  uint64_t total = 0;
  for (const EndpointPool::Tally& t : tallies) {
    total += t.answered + t.failed + t.rate_limited + t.refused;
  }
  EXPECT_EQ(total, 4u);
  EXPECT_EQ(tallies[0].answered, 1u);
  EXPECT_EQ(tallies[1].failed, 1u);
  EXPECT_EQ(tallies[rested].rate_limited, 1u);
  for (const EndpointPool::Tally& t : pool.TakeTallies()) {
    EXPECT_EQ(t.answered + t.failed + t.rate_limited + t.refused, 0u);
  }
}

TEST(EndpointPoolTest, ASlowEndpointHoldsFewerRequests) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock);
  // Endpoint 2 answers in 50 ms, the others in 5 ms.
  for (int e = 0; e < 3; ++e) {
    pool.Pick(0);
    pool.Finish(e, Answer::kSuccess, microseconds(e == 2 ? 50'000 : 5'000));
  }
  std::map<int, int> outstanding;
  for (int i = 0; i < 42; ++i) ++outstanding[pool.Pick(0)];
  // Score (outstanding + 1) x latency: the slow one holds about a tenth of a fast one's.
  EXPECT_EQ(outstanding[0], 20);
  EXPECT_EQ(outstanding[1], 20);
  EXPECT_EQ(outstanding[2], 2);
  EXPECT_EQ(pool.outstanding(2), 2);
}

TEST(EndpointPoolTest, RepeatedFailuresCoolAnEndpointDownAndAProbeBringsItBack) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock);
  for (int i = 0; i < 3; ++i) {
    pool.Finish(pool.Pick(0b110), Answer::kFailure, microseconds(100));  // always endpoint 0
  }
  EXPECT_TRUE(pool.in_cooldown(0));
  for (int i = 0; i < 20; ++i) EXPECT_NE(pool.Pick(0), 0);
  clock.Advance(999);
  EXPECT_NE(pool.Pick(0), 0);
  clock.Advance(1);  // the first cooldown (1 s) is over: one probe at a time
  EXPECT_TRUE(pool.AnyAvailable(0b110));
  EXPECT_EQ(pool.Pick(0b110), 0);
  EXPECT_FALSE(pool.AnyAvailable(0b110)) << "only one probe in flight";
  EXPECT_TRUE(pool.in_cooldown(0));
  pool.Finish(0, Answer::kFailure, microseconds(100));  // the probe failed: 2 s now
  clock.Advance(1'999);
  EXPECT_FALSE(pool.AnyAvailable(0b110));
  clock.Advance(1);
  EXPECT_EQ(pool.Pick(0b110), 0);
  pool.Finish(0, Answer::kSuccess, microseconds(1'000));  // healthy again
  EXPECT_FALSE(pool.in_cooldown(0));
  EXPECT_EQ(pool.Pick(0b110), 0);
  EXPECT_EQ(pool.Pick(0b110), 0) << "no longer limited to one request";
}

TEST(EndpointPoolTest, CooldownsDoubleUpToTheMaximum) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  for (int i = 0; i < 3; ++i) pool.Finish(pool.Pick(0b10), Answer::kFailure, microseconds(1));
  int64_t expected = 1'000;
  for (int trip = 0; trip < 8; ++trip) {
    clock.Advance(expected - 1);
    ASSERT_FALSE(pool.AnyAvailable(0b10)) << "trip " << trip;
    clock.Advance(1);
    ASSERT_TRUE(pool.AnyAvailable(0b10)) << "trip " << trip;
    pool.Finish(pool.Pick(0b10), Answer::kFailure, microseconds(1));
    expected = std::min<int64_t>(expected * 2, 30'000);
  }
}

TEST(EndpointPoolTest, AnIdleEndpointsEstimateFadesTowardTheFastest) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  pool.Finish(pool.Pick(0b10), Answer::kSuccess, microseconds(1'000));
  pool.Finish(pool.Pick(0b01), Answer::kSuccess, microseconds(41'000));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(pool.Pick(0), 0);  // scores 1..10 ms vs 41 ms
  clock.Advance(3'000);  // three half-lives: endpoint 1 is now assumed 1 + 40 / 8 = 6 ms
  EXPECT_EQ(pool.Pick(0), 1);
}

TEST(EndpointPoolTest, FastFailuresDoNotMakeAnEndpointLookFast) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  pool.Finish(pool.Pick(0b10), Answer::kSuccess, microseconds(10'000));
  pool.Finish(pool.Pick(0b10), Answer::kFailure, microseconds(10));
  EXPECT_DOUBLE_EQ(pool.latency_ms(0), 10.0);
  pool.Finish(pool.Pick(0b10), Answer::kFailure, microseconds(1'010'000));  // a timeout
  EXPECT_GT(pool.latency_ms(0), 100.0);
}

TEST(EndpointPoolTest, ARateLimitedEndpointRestsForItsRetryAfterWithoutLosingHealth) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  pool.Finish(pool.Pick(0b10), Answer::kRateLimited, microseconds(100), milliseconds(2'000));
  EXPECT_FALSE(pool.in_cooldown(0));
  EXPECT_FALSE(pool.AnyAvailable(0b10));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pool.Pick(0), 1);
  clock.Advance(2'000);
  EXPECT_TRUE(pool.AnyAvailable(0b10));
}

TEST(EndpointPoolTest, ARetryAvoidsTheEndpointsThatFailedIt) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock);
  for (int i = 0; i < 6; ++i) {
    const int e = pool.Pick(0b011);
    EXPECT_EQ(e, 2);
    pool.Finish(e, Answer::kSuccess, microseconds(100));
  }
  // Every endpoint failed it: any available endpoint will do.
  EXPECT_GE(pool.Pick(0b111), 0);
  EXPECT_EQ(pool.Names(0b101), "http://h0/c, http://h2/c");
}

TEST(EndpointPoolTest, WhenEveryEndpointRestsPicksStillGoOut) {
  FakeClock clock;
  EndpointPool pool = MakePool(clock, 2);
  for (int e = 0; e < 2; ++e) {
    for (int i = 0; i < 3; ++i) {
      pool.Pick(0);
      pool.Finish(e, Answer::kFailure, microseconds(1));
    }
  }
  EXPECT_TRUE(pool.in_cooldown(0));
  EXPECT_TRUE(pool.in_cooldown(1));
  EXPECT_FALSE(pool.AnyAvailable(0));
  // Panic: health is ignored, the request still avoids the endpoint that failed it.
  EXPECT_EQ(pool.Pick(0b01), 1);
  EXPECT_EQ(pool.Pick(0b10), 0);
}

// --- The engine over a pool of real loopback servers. --------------------------------------

EngineOptions PoolOptions(const std::vector<std::string>& urls) {
  EngineOptions options = testing::TestOptions(urls.front());
  options.endpoints = urls;
  options.retries = 1;
  return options;
}

// A port where nothing listens: a server started and stopped.
std::string DeadUrl() {
  testing::TestHttpServer gone([](const testing::TestRequest& r, uint64_t) {
    return testing::EchoLabel(r);
  });
  return gone.url();
}

TEST(EndpointPoolEngineTest, ADeadReplicaCostsNoRow) {
  testing::TestHttpServer a([](const testing::TestRequest& r, uint64_t) {
    return testing::EchoLabel(r);
  });
  testing::TestHttpServer b([](const testing::TestRequest& r, uint64_t) {
    return testing::EchoLabel(r);
  });
  const std::string dead = DeadUrl();
  auto engine = HttpEngine::Create(PoolOptions({a.url(), dead, b.url()}));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const RowBatch batch = testing::MakeBatch(300);
  Result<ChunkLabels> labels = (*engine)->LabelRows(batch, CancelToken());
  ASSERT_TRUE(labels.ok());
  EXPECT_TRUE(labels->errors.empty()) << labels->errors.front().reason;
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    ASSERT_EQ(labels->labels[i], "L-site-" + std::to_string(i));
  }
  EXPECT_EQ(a.requests() + b.requests(), 300u);
  EXPECT_TRUE((*engine)->pool()->in_cooldown(1));
  // Only until the cooldown: the dead one was tried a few times, not once per row.
  EXPECT_LE(labels->counters.requests, 300u + 10u);
}

TEST(EndpointPoolEngineTest, RowsFailOnlyWhenEveryEndpointFailedThemAndTheReasonNamesThem) {
  testing::TestHttpServer failing([](const testing::TestRequest&, uint64_t) {
    testing::TestResponse response;
    response.status = 500;
    response.body = "down";
    return response;
  });
  const std::string dead = DeadUrl();
  EngineOptions options = PoolOptions({failing.url(), dead});
  options.retries = 0;  // still, each row is tried at both endpoints
  auto engine = HttpEngine::Create(options);
  ASSERT_TRUE(engine.ok());
  Result<ChunkLabels> labels = (*engine)->LabelRows(testing::MakeBatch(4), CancelToken());
  ASSERT_TRUE(labels.ok());
  ASSERT_EQ(labels->errors.size(), 4u);
  for (const RowError& error : labels->errors) {
    EXPECT_NE(error.reason.find("every endpoint: " + failing.url() + ", " + dead),
              std::string::npos)
        << error.reason;
  }
  EXPECT_GE(labels->counters.requests, 8u);
}

TEST(EndpointPoolEngineTest, ASlowReplicaGetsLessWork) {
  auto fast = [](const testing::TestRequest& r, uint64_t) {
    testing::TestResponse response = testing::EchoLabel(r);
    response.delay = milliseconds(2);
    return response;
  };
  testing::TestHttpServer a(fast);
  testing::TestHttpServer b(fast);
  testing::TestHttpServer slow([](const testing::TestRequest& r, uint64_t) {
    testing::TestResponse response = testing::EchoLabel(r);
    response.delay = milliseconds(40);
    return response;
  });
  EngineOptions options = PoolOptions({a.url(), b.url(), slow.url()});
  options.concurrency = 8;
  auto engine = HttpEngine::Create(options);
  ASSERT_TRUE(engine.ok());
  Result<ChunkLabels> labels = (*engine)->LabelRows(testing::MakeBatch(600), CancelToken());
  ASSERT_TRUE(labels.ok());
  EXPECT_TRUE(labels->errors.empty());
  // Generous: with equal shares the slow one would get 200 rows.
  EXPECT_LT(slow.requests() * 4, a.requests());
  EXPECT_LT(slow.requests() * 4, b.requests());
  EXPECT_GT(slow.requests(), 0u);
}

TEST(EndpointPoolEngineTest, A429MovesLoadToTheOthers) {
  std::atomic<int> limited{0};
  testing::TestHttpServer busy([&](const testing::TestRequest&, uint64_t) {
    ++limited;
    testing::TestResponse response;
    response.status = 429;
    response.headers = {"Retry-After: 30"};
    response.body = "slow down";
    return response;
  });
  testing::TestHttpServer ok([](const testing::TestRequest& r, uint64_t) {
    return testing::EchoLabel(r);
  });
  auto engine = HttpEngine::Create(PoolOptions({busy.url(), ok.url()}));
  ASSERT_TRUE(engine.ok());
  Result<ChunkLabels> labels = (*engine)->LabelRows(testing::MakeBatch(200), CancelToken());
  ASSERT_TRUE(labels.ok());
  EXPECT_TRUE(labels->errors.empty());
  // The first wave (up to the concurrency) may reach the busy one; then it rests for 30 s.
  EXPECT_LE(limited.load(), 8);
}

}  // namespace
}  // namespace sieve
