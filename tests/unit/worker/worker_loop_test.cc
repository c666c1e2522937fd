// The worker loop in-process on a fake clock (tests/unit/loop_harness.h): the test is the
// broker and the collector (ROUTERs the worker connects to); rows go to a real HTTP server on
// loopback. Leases named in heartbeats until the result is acknowledged, results resent on
// time, credit given back, re-leases adopted, and the broker link's reconnect, each exact in
// fake time.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "tests/unit/loop_harness.h"
#include "test_http_server.h"
#include "worker/worker_node.h"

namespace sieve {
namespace {

using std::chrono::milliseconds;
using testing::BindRouter;
using testing::LoopThread;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::TestSocket;

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLiveness = 3;
constexpr uint32_t kResendMs = 5000;
constexpr char kJob[] = "j00000000000000b2";

class WorkerLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = BindRouter(context_, testing::InprocEndpoint("broker"));
    collector_endpoint_ = testing::InprocEndpoint("collector");
    collector_ = BindRouter(context_, collector_endpoint_);
    WorkerNodeOptions options;
    options.broker = broker_->socket().get(zmq::sockopt::last_endpoint);
    options.name = "w-test";
    options.concurrency = 4;
    options.max_chunks = 2;
    options.heartbeat_ms = kHeartbeatMs;
    options.liveness = kLiveness;
    options.result_resend_ms = kResendMs;
    options.clock = &clock_;
    Result<std::unique_ptr<WorkerNode>> worker = WorkerNode::Create(context_, options);
    ASSERT_TRUE(worker.ok()) << worker.status().ToString();
    loop_ = std::make_unique<LoopThread<WorkerNode>>(std::move(*worker));
    auto ready = broker_->AwaitFrom<proto::Ready>();
    ASSERT_TRUE(ready.has_value());
    worker_id_ = ready->first;
    EXPECT_EQ(ready->second.credit, 2u);
  }

  proto::Assign AssignOf(uint64_t chunk, uint32_t attempt) const {
    proto::Assign assign;
    assign.job_id = kJob;
    assign.chunk_index = chunk;
    assign.attempt = attempt;
    assign.first_row = 2 * chunk;
    assign.row_count = 2;
    assign.collector = collector_endpoint_;
    assign.spec.endpoint = http_.url();
    assign.spec.retries = 0;
    assign.header_record = "website,content\n";
    assign.chunk = "a.com,hello\nb.com,world\n";
    return assign;
  }

  static proto::ResultAck Acknowledgement() {
    proto::ResultAck ack;
    ack.job_id = kJob;
    ack.attempt = 1;
    ack.ok = true;
    return ack;
  }

  // One heartbeat interval of fake time; returns the worker's heartbeat for it (which proves
  // the worker has acted on the new time), answering it so the link stays up.
  proto::Heartbeat Tick() {
    clock_.Advance(kHeartbeatMs);
    auto heartbeat = broker_->AwaitFrom<proto::Heartbeat>();
    EXPECT_TRUE(heartbeat.has_value());
    if (!heartbeat) return {};
    broker_->Send(proto::Heartbeat{}, heartbeat->first);
    return heartbeat->second;
  }

  zmq::context_t context_;
  FakeClock clock_;
  TestHttpServer http_{[](const TestRequest&, uint64_t) { return TestResponse{}; }};
  std::unique_ptr<TestSocket> broker_;
  std::unique_ptr<TestSocket> collector_;
  std::string collector_endpoint_;
  std::string worker_id_;
  std::unique_ptr<LoopThread<WorkerNode>> loop_;
};

TEST_F(WorkerLoopTest, LabelsAChunkAndNamesItsLeaseUntilTheResultIsAcknowledged) {
  broker_->Send(AssignOf(0, 1), worker_id_);
  auto result = collector_->AwaitFrom<proto::ChunkResult>();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->second.attempt, 1u);
  EXPECT_EQ(result->second.error_count, 0u);
  EXPECT_EQ(result->second.labelled, "a.com,hello,ok\nb.com,world,ok\n");
  EXPECT_EQ(http_.requests(), 2u);

  proto::Heartbeat held = Tick();
  ASSERT_EQ(held.leases.size(), 1u);
  EXPECT_EQ(held.leases[0].job_id, kJob);

  collector_->Send(Acknowledgement(), result->first);
  std::optional<proto::Ready> credit = broker_->Await<proto::Ready>();
  ASSERT_TRUE(credit.has_value());
  EXPECT_EQ(credit->credit, 1u) << "the freed slot is announced";
  EXPECT_TRUE(Tick().leases.empty());
}

TEST_F(WorkerLoopTest, ResendsAnUnacknowledgedResultAfterTheResendInterval) {
  broker_->Send(AssignOf(0, 1), worker_id_);
  ASSERT_TRUE(collector_->Await<proto::ChunkResult>().has_value());
  for (uint32_t i = 0; i + 1 < kResendMs / kHeartbeatMs; ++i) Tick();
  EXPECT_TRUE(collector_->Quiet<proto::ChunkResult>(milliseconds(100)));
  Tick();
  std::optional<proto::ChunkResult> again = collector_->Await<proto::ChunkResult>();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->labelled, "a.com,hello,ok\nb.com,world,ok\n");
  EXPECT_EQ(http_.requests(), 2u) << "a resend is not a relabel";
}

TEST_F(WorkerLoopTest, AdoptsANewLeaseOfAChunkItHoldsAndGivesTheCreditBack) {
  broker_->Send(AssignOf(0, 1), worker_id_);
  ASSERT_TRUE(collector_->Await<proto::ChunkResult>().has_value());
  broker_->Send(AssignOf(0, 2), worker_id_);  // the broker restarted and leased it again
  std::optional<proto::Ready> credit = broker_->Await<proto::Ready>();
  ASSERT_TRUE(credit.has_value());
  EXPECT_EQ(credit->credit, 1u);
  proto::Heartbeat held = Tick();
  ASSERT_EQ(held.leases.size(), 1u);
  EXPECT_EQ(held.leases[0].attempt, 2u) << "the heartbeat names the new lease";
  EXPECT_EQ(http_.requests(), 2u) << "the work is kept, not redone";
}

TEST_F(WorkerLoopTest, ReconnectsToASilentBrokerAndStillDeliversWhatItHolds) {
  broker_->Send(AssignOf(0, 1), worker_id_);
  auto result = collector_->AwaitFrom<proto::ChunkResult>();
  ASSERT_TRUE(result.has_value());
  // The broker stops answering: after liveness x interval the worker reconnects (a new
  // identity) and announces itself with READY again.
  for (uint32_t i = 0; i <= kLiveness; ++i) {
    clock_.Advance(kHeartbeatMs);
    ASSERT_TRUE(broker_->Await<proto::Heartbeat>().has_value());
  }
  clock_.Advance(kHeartbeatMs);
  auto ready = broker_->AwaitFrom<proto::Ready>();
  ASSERT_TRUE(ready.has_value());
  EXPECT_NE(ready->first, worker_id_);
  // The chunk it holds is still delivered: acknowledged, its slot comes back.
  collector_->Send(Acknowledgement(), result->first);
  std::optional<proto::Ready> credit = broker_->Await<proto::Ready>();
  ASSERT_TRUE(credit.has_value());
  EXPECT_EQ(credit->credit, 1u);
}

TEST_F(WorkerLoopTest, ADroppedJobIsAbandoned) {
  broker_->Send(AssignOf(0, 1), worker_id_);
  ASSERT_TRUE(collector_->Await<proto::ChunkResult>().has_value());
  broker_->Send(proto::DropJob{kJob}, worker_id_);
  std::optional<proto::Ready> credit = broker_->Await<proto::Ready>();
  ASSERT_TRUE(credit.has_value());
  EXPECT_TRUE(Tick().leases.empty());
  for (uint32_t i = 0; i < kResendMs / kHeartbeatMs; ++i) Tick();
  EXPECT_TRUE(collector_->Quiet<proto::ChunkResult>(milliseconds(100)));
}

}  // namespace
}  // namespace sieve
