#include "worker/retry_policy.h"

#include <gtest/gtest.h>

#include "worker/attempt_outcome.h"
#include "worker/curl_transfer.h"
#include "worker/concurrency_limiter.h"

namespace sieve {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, FullJitterWithinAGrowingCeiling) {
  Backoff backoff({.base = milliseconds(100), .max = milliseconds(1000)}, 1);
  milliseconds largest{0};
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(backoff.Delay(1, milliseconds(0)), milliseconds(100));
    EXPECT_LE(backoff.Delay(3, milliseconds(0)), milliseconds(400));
    const milliseconds late = backoff.Delay(30, milliseconds(0));
    EXPECT_LE(late, milliseconds(1000));
    largest = std::max(largest, late);
  }
  EXPECT_GT(largest, milliseconds(500)) << "the jitter spans the range";
}

TEST(BackoffTest, HonoursRetryAfterUpToACap) {
  Backoff backoff({.base = milliseconds(10), .max = milliseconds(10),
                   .retry_after_max = milliseconds(3000)}, 1);
  EXPECT_EQ(backoff.Delay(1, milliseconds(2000)), milliseconds(2000));
  EXPECT_EQ(backoff.Delay(1, milliseconds(60'000)), milliseconds(3000));
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a({}, 7), b({}, 7);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(a.Delay(i, milliseconds(0)), b.Delay(i, milliseconds(0)));
}

TEST(RetryBudgetTest, RatioWithAFloor) {
  RetryBudget small(10, 0.2, 5);
  EXPECT_EQ(small.limit(), 5u);
  RetryBudget big(1000, 0.2, 5);
  EXPECT_EQ(big.limit(), 200u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(small.TryConsume());
  EXPECT_TRUE(small.exhausted());
  EXPECT_FALSE(small.TryConsume());
}

TEST(ConcurrencyLimiterTest, FixedModeNeverMoves) {
  ConcurrencyLimiter limiter(64, false);
  limiter.OnCongestion(limiter.epoch());
  EXPECT_EQ(limiter.limit(), 64);
}

TEST(ConcurrencyLimiterTest, AimdHalvesOncePerEpochAndGrowsBack) {
  ConcurrencyLimiter limiter(64, true, 2);
  const uint64_t epoch = limiter.epoch();
  limiter.OnCongestion(epoch);
  EXPECT_EQ(limiter.limit(), 32);
  limiter.OnCongestion(epoch);  // an older request's failure: same congestion event
  EXPECT_EQ(limiter.limit(), 32);
  for (int i = 0; i < 10; ++i) limiter.OnCongestion(limiter.epoch());
  EXPECT_EQ(limiter.limit(), 2);
  for (int i = 0; i < 10'000; ++i) limiter.OnSuccess();
  EXPECT_EQ(limiter.limit(), 64);
}

TEST(AttemptOutcomeTest, ClassifiesStatusesAndTransportErrors) {
  TransferReport r;
  r.timeout = milliseconds(15'000);
  r.connect_timeout = milliseconds(500);
  r.http_status = 200;
  EXPECT_EQ(ClassifyTransfer(r).kind, AttemptClass::kSuccess);
  r.http_status = 503;
  r.retry_after_seconds = 2;
  AttemptOutcome o = ClassifyTransfer(r);
  EXPECT_EQ(o.kind, AttemptClass::kRetryable);
  EXPECT_TRUE(o.congestion);
  EXPECT_EQ(o.retry_after, milliseconds(2000));
  r.http_status = 500;
  EXPECT_FALSE(ClassifyTransfer(r).congestion);
  EXPECT_EQ(FinalReason(ClassifyTransfer(r), 4), "HTTP 500 after 4 attempts");
  r.http_status = 404;
  r.body = "missing";
  EXPECT_EQ(ClassifyTransfer(r).kind, AttemptClass::kFatal);
  EXPECT_EQ(FinalReason(ClassifyTransfer(r), 1), "HTTP 404: missing");
  r = TransferReport{.error = TransferError::kTimeout, .timeout = milliseconds(15'000),
                     .connect_timeout = milliseconds(500)};
  EXPECT_EQ(FinalReason(ClassifyTransfer(r), 4), "timeout after 15 s (4 attempts)");
  r.error = TransferError::kConnectTimeout;
  EXPECT_EQ(ClassifyTransfer(r).reason, "connect timeout after 0.5 s");
  r = TransferReport{.error = TransferError::kTooLarge, .max_response_bytes = 10};
  EXPECT_EQ(ClassifyTransfer(r).kind, AttemptClass::kFatal);
  EXPECT_EQ(ClassifyTransfer(r).reason, "response larger than 10 bytes");
  EXPECT_FALSE(ClassifyTransfer(r).endpoint_wide);
  r = TransferReport{.error = TransferError::kTlsUntrusted,
                     .error_text = "SSL certificate problem: self-signed certificate"};
  AttemptOutcome tls = ClassifyTransfer(r);
  EXPECT_EQ(tls.kind, AttemptClass::kFatal);
  EXPECT_TRUE(tls.endpoint_wide);
  EXPECT_EQ(tls.transport_error, "tls");
  EXPECT_EQ(tls.reason, "TLS: SSL certificate problem: self-signed certificate (signed by a "
                        "private CA? pass --ca-file)");
  r = TransferReport{.error = TransferError::kTlsCaFile,
                     .error_text = "error setting certificate file: /etc/sieve/ca.pem"};
  EXPECT_TRUE(ClassifyTransfer(r).endpoint_wide);
  EXPECT_EQ(ClassifyTransfer(r).reason, "TLS: the CA certificates could not be loaded: error "
                                        "setting certificate file: /etc/sieve/ca.pem");
  r = TransferReport{.error = TransferError::kConnect};
  EXPECT_FALSE(ClassifyTransfer(r).endpoint_wide);
  EXPECT_EQ(ClassifyTransfer(r).kind, AttemptClass::kRetryable);
}

TEST(AttemptOutcomeTest, MapsCurlResultsToTransferErrors) {
  EXPECT_EQ(TransferErrorFromCurl(CURLE_OK, "", false), TransferError::kNone);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_OPERATION_TIMEDOUT,
                                  "Operation timed out after 15001 milliseconds", false),
            TransferError::kTimeout);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_OPERATION_TIMEDOUT,
                                  "Connection timed out after 501 milliseconds", false),
            TransferError::kConnectTimeout);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_WRITE_ERROR, "", true), TransferError::kTooLarge);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_WRITE_ERROR, "", false), TransferError::kOther);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_RECV_ERROR, "", false), TransferError::kReset);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_GOT_NOTHING, "", false), TransferError::kEmptyReply);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_PARTIAL_FILE, "", false), TransferError::kTruncated);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_PEER_FAILED_VERIFICATION, "", false),
            TransferError::kTlsUntrusted);
  EXPECT_EQ(TransferErrorFromCurl(CURLE_COULDNT_CONNECT, "", false), TransferError::kConnect);
}

TEST(AttemptOutcomeTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(milliseconds(15'000)), "15 s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "0.5 s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5 s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250 ms");
}

}  // namespace
}  // namespace sieve
