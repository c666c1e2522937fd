// The collector loop in-process on a fake clock (tests/unit/loop_harness.h): the test is the
// broker (a ROUTER the collector connects to) and the workers. Durable-then-acknowledged
// results, duplicates stored once, the ordered merge to JOB_DONE, refusals, and the broker
// link's reconnect with backoff, each exact in fake time.
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "collector/collector.h"
#include "common/clock.h"
#include "tests/unit/loop_harness.h"

namespace sieve {
namespace {

using std::chrono::milliseconds;
using testing::BindRouter;
using testing::ConnectPeer;
using testing::LoopThread;
using testing::TestSocket;

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLiveness = 3;
constexpr char kJob[] = "j00000000000000a1";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class CollectorLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = BindRouter(context_, testing::InprocEndpoint("broker"));
    CollectorOptions options;
    options.broker = broker_->socket().get(zmq::sockopt::last_endpoint);
    options.listen = testing::InprocEndpoint("collector");
    options.data_dir = testing::ScratchDir("collector");
    options.clock = &clock_;
    options.heartbeat_ms = kHeartbeatMs;
    options.liveness = kLiveness;
    Result<std::unique_ptr<Collector>> collector = Collector::Create(context_, options);
    ASSERT_TRUE(collector.ok()) << collector.status().ToString();
    endpoint_ = (*collector)->endpoint();
    loop_ = std::make_unique<LoopThread<Collector>>(std::move(*collector));
    auto ready = broker_->AwaitFrom<proto::CollectorReady>();
    ASSERT_TRUE(ready.has_value());
    collector_id_ = ready->first;
    EXPECT_EQ(ready->second.endpoint, endpoint_);
  }

  // Opens the job and returns once the collector has handled it: JOB_OPEN is queued on the
  // broker link before the clock moves, and the loop reads that link before it heartbeats.
  void OpenJob() {
    proto::JobOpen open;
    open.job_id = kJob;
    open.label_column = "label";
    open.header_record = "website,content\n";
    open.name = "test";
    broker_->Send(open, collector_id_);
    Tick();
  }

  static proto::ChunkResult ChunkResultOf(uint64_t chunk, uint32_t attempt, std::string labelled) {
    proto::ChunkResult result;
    result.job_id = kJob;
    result.chunk_index = chunk;
    result.attempt = attempt;
    result.first_row = 2 * chunk;
    result.row_count = 2;
    result.labelled = std::move(labelled);
    return result;
  }

  // One heartbeat interval of fake time; returns once the collector has acted on it (its
  // heartbeat for the new interval reached the broker).
  void Tick() {
    clock_.Advance(kHeartbeatMs);
    ASSERT_TRUE(broker_->Await<proto::Heartbeat>().has_value());
  }

  zmq::context_t context_;
  FakeClock clock_;
  std::unique_ptr<TestSocket> broker_;
  std::string endpoint_;
  std::string collector_id_;
  std::unique_ptr<LoopThread<Collector>> loop_;
};

TEST_F(CollectorLoopTest, StoresEachChunkOnceAndMergesInOrderDespiteDuplicatesAndDisorder) {
  OpenJob();
  auto worker = ConnectPeer(context_, endpoint_);
  // Chunk 1 before chunk 0, then chunk 1 again under a later attempt (a redelivery).
  worker->Send(ChunkResultOf(1, 1, "c,d,sports\ne,f,news\n"));
  std::optional<proto::ResultAck> ack = worker->Await<proto::ResultAck>();
  ASSERT_TRUE(ack.has_value());
  EXPECT_TRUE(ack->ok) << ack->message;
  std::optional<proto::Committed> committed = broker_->Await<proto::Committed>();
  ASSERT_TRUE(committed.has_value());
  EXPECT_EQ(committed->chunk_index, 1u);
  EXPECT_EQ(committed->rows, 2u);

  worker->Send(ChunkResultOf(1, 2, "c,d,OTHER\ne,f,OTHER\n"));
  ack = worker->Await<proto::ResultAck>();
  ASSERT_TRUE(ack.has_value());
  EXPECT_TRUE(ack->ok) << "a duplicate is acknowledged (it is durable already)";
  ASSERT_TRUE(broker_->Await<proto::Committed>().has_value()) << "and reported again";

  worker->Send(ChunkResultOf(0, 1, "a,b,news\ng,h,cooking\n"));
  ASSERT_TRUE(worker->Await<proto::ResultAck>().has_value());
  proto::JobSealed sealed;
  sealed.job_id = kJob;
  sealed.total_chunks = 2;
  sealed.total_rows = 4;
  broker_->Send(sealed, collector_id_);
  std::optional<proto::JobDone> done = broker_->Await<proto::JobDone>();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->rows, 4u);
  EXPECT_EQ(done->errors, 0u);
  EXPECT_EQ(ReadFile(done->output_path),
            "website,content,label\na,b,news\ng,h,cooking\nc,d,sports\ne,f,news\n");
}

TEST_F(CollectorLoopTest, RefusesAResultForAJobItWasNotTold) {
  auto worker = ConnectPeer(context_, endpoint_);
  worker->Send(ChunkResultOf(0, 1, "a,b,news\nc,d,news\n"));
  std::optional<proto::ResultAck> ack = worker->Await<proto::ResultAck>();
  ASSERT_TRUE(ack.has_value());
  EXPECT_FALSE(ack->ok);
  EXPECT_TRUE(broker_->Quiet<proto::Committed>(milliseconds(100)));
}

TEST_F(CollectorLoopTest, RefusesAResultWhoseRowCountDoesNotMatch) {
  OpenJob();
  auto worker = ConnectPeer(context_, endpoint_);
  worker->Send(ChunkResultOf(0, 1, "a,b,news\n"));  // says 2 rows, carries 1
  std::optional<proto::ResultAck> ack = worker->Await<proto::ResultAck>();
  ASSERT_TRUE(ack.has_value());
  EXPECT_FALSE(ack->ok);
  EXPECT_TRUE(broker_->Quiet<proto::Committed>(milliseconds(100)));
}

TEST_F(CollectorLoopTest, ReconnectsToASilentBrokerWithGrowingBackoff) {
  // The broker never answers. Silent past liveness x interval: reconnect (a new socket, so a
  // new identity) and announce again.
  for (uint32_t i = 0; i < kLiveness; ++i) Tick();
  EXPECT_TRUE(broker_->Quiet<proto::CollectorReady>(milliseconds(100)));
  clock_.Advance(kHeartbeatMs);
  auto again = broker_->AwaitFrom<proto::CollectorReady>();
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->first, collector_id_);
  // The next try waits one more second of backoff: liveness x interval + 1 s of silence.
  for (uint32_t i = 0; i < kLiveness + 1; ++i) Tick();
  EXPECT_TRUE(broker_->Quiet<proto::CollectorReady>(milliseconds(100)));
  clock_.Advance(kHeartbeatMs);
  EXPECT_TRUE(broker_->AwaitFrom<proto::CollectorReady>().has_value());
}

TEST_F(CollectorLoopTest, AnAnsweringBrokerKeepsTheLinkUp) {
  for (uint32_t i = 0; i < kLiveness + 2; ++i) {
    Tick();
    broker_->Send(proto::Heartbeat{}, collector_id_);
  }
  EXPECT_TRUE(broker_->Quiet<proto::CollectorReady>(milliseconds(100)));
}

}  // namespace
}  // namespace sieve
