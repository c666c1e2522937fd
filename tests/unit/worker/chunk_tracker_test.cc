// ChunkTracker's fail-fast rules: when a chunk stops sending its unsent rows, and why.
#include "worker/chunk_tracker.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

namespace sieve {
namespace {

using std::chrono::microseconds;

std::shared_ptr<RowBatch> Batch(int rows) {
  auto batch = std::make_shared<RowBatch>();
  batch->job_id = "j1";
  batch->header = {"website", "content"};
  for (int i = 0; i < rows; ++i) batch->rows.push_back({"https://x.example", "text"});
  return batch;
}

AttemptOutcome UntrustedCertificate() {
  AttemptOutcome out;
  out.kind = AttemptClass::kFatal;
  out.endpoint_wide = true;
  out.transport_error = "tls";
  out.reason = "TLS: SSL certificate problem: self-signed certificate";
  return out;
}

AttemptOutcome Success() {
  AttemptOutcome out;
  out.kind = AttemptClass::kSuccess;
  out.http_status = 200;
  return out;
}

class ChunkTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.endpoint = "https://model.example/classify";
    options_.fail_fast_streak = 3;
    auto tracker = ChunkTracker::Create(1, Batch(10), options_, 0);
    ASSERT_TRUE(tracker.ok()) << tracker.status().ToString();
    tracker_ = std::move(tracker).value();
  }
  // Sends the next row and records `outcome` for it (failing the row when it is not a success).
  void Attempt(const AttemptOutcome& outcome) {
    std::optional<Call> call = tracker_->NextCall();
    ASSERT_TRUE(call.has_value());
    tracker_->RecordAttempt(outcome, microseconds(100));
    if (outcome.kind == AttemptClass::kSuccess) {
      tracker_->Succeed(call->rows[0], "news");
    } else {
      tracker_->Fail(call->rows[0], outcome.reason);
    }
  }

  EngineOptions options_;
  std::unique_ptr<ChunkTracker> tracker_;
};

TEST_F(ChunkTrackerTest, EndpointWideFailuresInARowStopTheChunkWithTheReason) {
  Attempt(UntrustedCertificate());
  Attempt(UntrustedCertificate());
  EXPECT_FALSE(tracker_->ShouldFailFast()) << "below the streak";
  Attempt(UntrustedCertificate());
  ASSERT_TRUE(tracker_->ShouldFailFast());
  tracker_->FailUnsent();
  ASSERT_TRUE(tracker_->done());
  ChunkLabels result = tracker_->TakeResult(1);
  EXPECT_TRUE(result.counters.endpoint_unusable) << "the worker hands such a chunk back";
  EXPECT_FALSE(result.counters.retry_budget_exhausted);
  EXPECT_EQ(result.counters.rows_not_sent, 7u);
  ASSERT_EQ(result.errors.size(), 10u);
  EXPECT_EQ(result.errors.back().reason,
            "not sent: every request to the endpoint would fail: TLS: SSL certificate problem: "
            "self-signed certificate");
}

TEST_F(ChunkTrackerTest, ASuccessResetsTheEndpointWideStreak) {
  // One bad backend behind a load balancer: failures interleaved with successes.
  for (int i = 0; i < 3; ++i) {
    Attempt(UntrustedCertificate());
    Attempt(UntrustedCertificate());
    Attempt(Success());
    EXPECT_FALSE(tracker_->ShouldFailFast()) << "round " << i;
  }
  Attempt(Success());
  ASSERT_TRUE(tracker_->done());
  ChunkLabels result = tracker_->TakeResult(1);
  EXPECT_FALSE(result.counters.endpoint_unusable) << "some rows failed; the chunk is usable";
  EXPECT_EQ(result.counters.rows_not_sent, 0u);
  EXPECT_EQ(result.errors.size(), 6u);
}

TEST_F(ChunkTrackerTest, RowLevelFailuresNeverStopTheChunk) {
  AttemptOutcome unprocessable;
  unprocessable.kind = AttemptClass::kFatal;
  unprocessable.http_status = 422;
  unprocessable.reason = "HTTP 422";
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(tracker_->ShouldFailFast());
    Attempt(unprocessable);
  }
  ChunkLabels result = tracker_->TakeResult(1);
  EXPECT_FALSE(result.counters.endpoint_unusable);
  EXPECT_EQ(result.counters.rows_not_sent, 0u);
}

}  // namespace
}  // namespace sieve

namespace sieve {
namespace {

// --body-template: the worker compiles it per chunk, refuses a chunk it does not fit, renders
// batches as an array of bodies, fails a row with invalid UTF-8 without sending it, and gives
// a re-ask its own Idempotency-Key.
TEST(ChunkTrackerTemplateTest, RendersBatchesAndRefusesAnUnknownColumn) {
  EngineOptions options;
  options.batch_size = 3;
  options.body_template = R"({"m":[{"role":"user","content":"{{website}}: {{content}}"}]})";
  auto batch = Batch(4);
  batch->rows[1][1] = "bad \xff byte";
  auto tracker = ChunkTracker::Create(1, batch, options, 0);
  ASSERT_TRUE(tracker.ok()) << tracker.status().ToString();
  std::optional<Call> call = (*tracker)->NextCall();
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->rows, (std::vector<uint32_t>{0, 2, 3}));
  const std::string one = R"({"m":[{"role":"user","content":"https://x.example: text"}]})";
  EXPECT_EQ(call->body, "[" + one + "," + one + "," + one + "]");
  EXPECT_EQ(call->idempotency_key, "j1/0/0-3");
  std::optional<Call> again = (*tracker)->ReaskCall({2}, 1);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->body, "[" + one + "]");
  EXPECT_EQ(again->idempotency_key, "j1/0/2/reask-1");

  options.body_template = R"({"c":"{{body}}"})";
  auto refused = ChunkTracker::Create(2, Batch(1), options, 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("columns: website, content"), std::string::npos);
}

}  // namespace
}  // namespace sieve

namespace sieve {
namespace {

// The budget spent to its last retry without a refusal still marks the chunk as stopped for
// want of it, so the worker relabels it instead of committing error rows.
TEST(ChunkTrackerBudgetTest, FailFastOnASpentBudgetSaysTheBudgetIsSpent) {
  EngineOptions options;
  options.endpoint = "http://model.example/classify";
  options.fail_fast_streak = 2;
  options.retry_budget_min = 2;
  options.retry_budget_ratio = 0;
  auto tracker = ChunkTracker::Create(1, Batch(10), options, 0);
  ASSERT_TRUE(tracker.ok());
  AttemptOutcome refused;
  refused.kind = AttemptClass::kRetryable;
  refused.transport_error = "connect";
  refused.reason = "cannot connect: Connection refused";
  for (int i = 0; i < 2; ++i) {
    std::optional<Call> call = (*tracker)->NextCall();
    ASSERT_TRUE(call.has_value());
    (*tracker)->RecordAttempt(refused, microseconds(100));
    ASSERT_TRUE((*tracker)->TryConsumeRetry());  // the last retry of the budget
    (*tracker)->Fail(call->rows[0], refused.reason);
  }
  ASSERT_TRUE((*tracker)->ShouldFailFast());
  (*tracker)->FailUnsent();
  ChunkLabels result = (*tracker)->TakeResult(1);
  EXPECT_TRUE(result.counters.retry_budget_exhausted);
  EXPECT_EQ(result.counters.rows_not_sent, 8u);
}

}  // namespace
}  // namespace sieve

namespace sieve {
namespace {

// Pause while running (EngineOptions::pause_on_refusal): a 401/403 labels no row `error`; the
// chunk stops at once and says it was refused, unless a canary is still probing.
class ChunkTrackerRefusalTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChunkTracker> Tracker(bool pause_on_refusal, bool canary = false) {
    EngineOptions& options = options_.emplace_back();  // the tracker keeps a reference
    options.endpoint = "http://model.example/classify";
    options.pause_on_refusal = pause_on_refusal;
    auto tracker = ChunkTracker::Create(1, Batch(10), options, 0, canary);
    EXPECT_TRUE(tracker.ok()) << tracker.status().ToString();
    return tracker.ok() ? std::move(tracker).value() : nullptr;
  }

  std::deque<EngineOptions> options_;  // stable addresses
};

TEST_F(ChunkTrackerRefusalTest, A401StopsTheChunkWithNoRowLabelledAndTheAnswerKept) {
  std::unique_ptr<ChunkTracker> tracker = Tracker(true);
  ASSERT_NE(tracker, nullptr);
  std::optional<Call> a = tracker->NextCall();
  std::optional<Call> b = tracker->NextCall();
  ASSERT_TRUE(a.has_value() && b.has_value());
  tracker->Succeed(a->rows[0], "news");
  tracker->Fail(b->rows[0], "HTTP 401: API key revoked", FailureSignature::Http(401));
  EXPECT_TRUE(tracker->done()) << "answers still in flight are not waited for";
  EXPECT_FALSE(tracker->NextCall().has_value()) << "nothing more is sent";
  ChunkLabels result = tracker->TakeResult(1);
  EXPECT_TRUE(result.refused);
  EXPECT_EQ(result.refusal_reason, "HTTP 401: API key revoked");
}

TEST_F(ChunkTrackerRefusalTest, A403RefusesTooButA404Or422IsARowError) {
  std::unique_ptr<ChunkTracker> forbidden = Tracker(true);
  ASSERT_NE(forbidden, nullptr);
  std::optional<Call> call = forbidden->NextCall();
  ASSERT_TRUE(call.has_value());
  forbidden->Fail(call->rows[0], "HTTP 403: quota", FailureSignature::Http(403));
  EXPECT_TRUE(forbidden->TakeResult(1).refused);
  for (int status : {404, 422, 503}) {
    std::unique_ptr<ChunkTracker> tracker = Tracker(true);
    ASSERT_NE(tracker, nullptr);
    call = tracker->NextCall();
    ASSERT_TRUE(call.has_value());
    tracker->Fail(call->rows[0], "HTTP " + std::to_string(status), FailureSignature::Http(status));
    EXPECT_FALSE(tracker->done()) << status;
    ChunkLabels result = tracker->TakeResult(1);
    EXPECT_FALSE(result.refused) << status;
    EXPECT_EQ(result.errors.size(), 1u) << status;
  }
}

TEST_F(ChunkTrackerRefusalTest, WithoutTheOptionOrWhileACanaryProbesA401IsNotARefusal) {
  std::unique_ptr<ChunkTracker> plain = Tracker(false);
  ASSERT_NE(plain, nullptr);
  std::optional<Call> call = plain->NextCall();
  ASSERT_TRUE(call.has_value());
  plain->Fail(call->rows[0], "HTTP 401", FailureSignature::Http(401));
  ChunkLabels result = plain->TakeResult(1);
  EXPECT_FALSE(result.refused);
  EXPECT_EQ(result.errors.size(), 1u);
  // A canary's probe rows: the canary judges (a refused canary fails the job).
  std::unique_ptr<ChunkTracker> canary = Tracker(true, /*canary=*/true);
  ASSERT_NE(canary, nullptr);
  call = canary->NextCall();
  ASSERT_TRUE(call.has_value());
  canary->Fail(call->rows[0], "HTTP 401", FailureSignature::Http(401));
  EXPECT_FALSE(canary->done());
  for (int i = 0; i < 4; ++i) {
    call = canary->NextCall();
    ASSERT_TRUE(call.has_value());
    canary->Fail(call->rows[0], "HTTP 401", FailureSignature::Http(401));
  }
  result = canary->TakeResult(1);
  EXPECT_TRUE(result.canary_failed);
  EXPECT_FALSE(result.refused);
}

}  // namespace
}  // namespace sieve
