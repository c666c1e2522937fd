// CanaryProbe: the canary's verdict from its probe rows (worker/canary_probe.h).
#include "worker/canary_probe.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

using Kind = FailureSignature::Kind;
using Verdict = CanaryProbe::Verdict;

TEST(CanaryProbeTest, FirstRowAloneThenFourTogetherThenFailsOnTheSameRefusal) {
  CanaryProbe probe(100, 0);
  EXPECT_EQ(probe.SendLimit(), 1u);
  probe.OnFailure(FailureSignature::Http(422), "HTTP 422: field required");
  EXPECT_EQ(probe.SendLimit(), 5u);
  EXPECT_EQ(probe.verdict(), Verdict::kPending);
  for (int i = 0; i < 3; ++i) probe.OnFailure(FailureSignature::Http(422), "HTTP 422: other");
  EXPECT_EQ(probe.verdict(), Verdict::kPending);
  probe.OnFailure(FailureSignature::Http(422), "HTTP 422: last");
  EXPECT_EQ(probe.verdict(), Verdict::kFailed);
  EXPECT_EQ(probe.reason(), "HTTP 422: field required");
  EXPECT_EQ(probe.SendLimit(), 0u);
  EXPECT_FALSE(probe.TakePassed());
}

TEST(CanaryProbeTest, OneLabelPassesOnceAndOpensEveryRow) {
  CanaryProbe probe(100, 0);
  probe.OnFailure({Kind::kInvalidLabel, 0}, "answer 'x' is not one of the labels");
  probe.OnLabel();
  EXPECT_EQ(probe.verdict(), Verdict::kPassed);
  EXPECT_EQ(probe.SendLimit(), 100u);
  EXPECT_TRUE(probe.TakePassed());
  EXPECT_FALSE(probe.TakePassed());
}

TEST(CanaryProbeTest, TransientOrMixedFailuresAreInconclusive) {
  CanaryProbe transient(100, 0);
  transient.OnFailure(FailureSignature::Http(503), "HTTP 503 after 4 attempts");
  EXPECT_EQ(transient.verdict(), Verdict::kInconclusive);
  EXPECT_EQ(transient.SendLimit(), 100u);
  for (int status : {408, 429, 500}) {
    EXPECT_EQ(FailureSignature::Http(status).kind, Kind::kTransient) << status;
  }
  CanaryProbe untrusted(100, 0);  // the worker's CA set-up, not the job's options
  untrusted.OnFailure({Kind::kTlsTrust, 0}, "TLS: SSL certificate problem");
  EXPECT_EQ(untrusted.verdict(), Verdict::kInconclusive);
  CanaryProbe mixed(100, 0);
  mixed.OnFailure(FailureSignature::Http(401), "HTTP 401");
  mixed.OnFailure(FailureSignature::Http(404), "HTTP 404");
  EXPECT_EQ(mixed.verdict(), Verdict::kInconclusive);
}

TEST(CanaryProbeTest, ASmallChunkFailsOnAllItsRowsAndPatienceEnds) {
  CanaryProbe probe(2, 1000);
  EXPECT_TRUE(probe.Patient(1000 + CanaryProbe::kPatienceMs - 1));
  EXPECT_FALSE(probe.Patient(1000 + CanaryProbe::kPatienceMs));
  probe.OnFailure({Kind::kBadAnswer, 0}, "no field 'category' in response");
  EXPECT_EQ(probe.SendLimit(), 2u);
  probe.OnFailure({Kind::kBadAnswer, 0}, "no field 'category' in response");
  EXPECT_EQ(probe.verdict(), Verdict::kFailed);
  EXPECT_FALSE(probe.Patient(1000));
}

}  // namespace
}  // namespace sieve
