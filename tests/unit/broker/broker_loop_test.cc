// The broker loop in-process on a fake clock (tests/unit/loop_harness.h): dispatch,
// heartbeat loss, lease expiry, redelivery under a new attempt, stale messages about old
// attempts, and idempotent commits, each exact in fake time.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "common/clock.h"
#include "tests/unit/loop_harness.h"

namespace sieve {
namespace {

using std::chrono::milliseconds;
using testing::ConnectPeer;
using testing::LoopThread;
using testing::TestSocket;
using TestPeer = TestSocket;

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLiveness = 3;
constexpr uint32_t kLeaseMs = 5000;

// A broker on inproc:// and a fake clock, with a collector connected; SubmitJob adds a sealed
// job of `chunks` chunks of two rows.
class BrokerLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions options;
    options.listen = testing::InprocEndpoint("broker");
    options.data_dir = testing::ScratchDir("broker");
    options.clock = &clock_;
    options.heartbeat_ms = kHeartbeatMs;
    options.liveness = kLiveness;
    options.lease_ms = kLeaseMs;
    options.publish_ms = 1'000'000;  // metrics are not under test here
    Result<std::unique_ptr<Broker>> broker = Broker::Create(context_, options);
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    endpoint_ = (*broker)->endpoint();
    loop_ = std::make_unique<LoopThread<Broker>>(std::move(*broker));
    collector_ = Connect();
    collector_->Send(proto::CollectorReady{"inproc://no-collector", "test-collector", ""});
    client_ = Connect();
  }

  std::unique_ptr<TestPeer> Connect() { return ConnectPeer(context_, endpoint_); }

  std::string SubmitJob(uint64_t chunks) {
    proto::Submit submit;
    submit.request_id = 1;
    submit.spec.endpoint = "http://127.0.0.1:9/classify";
    submit.header_record = "website,content\n";
    client_->Send(submit);
    std::optional<proto::Submitted> submitted = client_->Await<proto::Submitted>();
    EXPECT_TRUE(submitted.has_value());
    if (!submitted) return "";
    for (uint64_t i = 0; i < chunks; ++i) {
      proto::Chunk chunk;
      chunk.job_id = submitted->job_id;
      chunk.chunk_index = i;
      chunk.first_row = 2 * i;
      chunk.row_count = 2;
      chunk.chunk = "a,b\nc,d\n";
      client_->Send(chunk);
      EXPECT_TRUE(client_->Await<proto::ChunkAck>().has_value());
    }
    proto::Seal seal;
    seal.job_id = submitted->job_id;
    seal.total_chunks = chunks;
    seal.total_rows = 2 * chunks;
    client_->Send(seal);
    EXPECT_TRUE(client_->Await<proto::Sealed>().has_value());
    return submitted->job_id;
  }

  // Advances fake time by one heartbeat interval and keeps `alive` peers (and the collector)
  // alive: each waits for the broker's heartbeat of the new interval (so the broker has seen
  // the new time) and answers with its own, naming `leases` for workers.
  void Tick(std::initializer_list<TestPeer*> alive,
            const std::vector<proto::LeaseRef>& leases = {}) {
    clock_.Advance(kHeartbeatMs);
    ASSERT_TRUE(collector_->Await<proto::Heartbeat>().has_value());
    collector_->Send(proto::Heartbeat{});
    for (TestPeer* peer : alive) {
      ASSERT_TRUE(peer->Await<proto::Heartbeat>().has_value());
      proto::Heartbeat heartbeat;
      heartbeat.leases = leases;
      peer->Send(heartbeat);
    }
  }

  zmq::context_t context_;
  FakeClock clock_;
  std::string endpoint_;
  std::unique_ptr<LoopThread<Broker>> loop_;
  std::unique_ptr<TestPeer> collector_;
  std::unique_ptr<TestPeer> client_;
};

TEST_F(BrokerLoopTest, AssignsAQueuedChunkToAWorkerWithCredit) {
  std::string job = SubmitJob(1);
  auto worker = Connect();
  worker->Send(proto::Ready{"w1", 1, 4, "test"});
  std::optional<proto::Assign> assign = worker->Await<proto::Assign>();
  ASSERT_TRUE(assign.has_value());
  EXPECT_EQ(assign->job_id, job);
  EXPECT_EQ(assign->chunk_index, 0u);
  EXPECT_EQ(assign->attempt, 1u);
  EXPECT_EQ(assign->chunk, "a,b\nc,d\n");
  EXPECT_EQ(assign->collector, "inproc://no-collector");
}

TEST_F(BrokerLoopTest, StatusSumsTheEndpointCountsOfWorkersHeartbeats) {
  std::string job = SubmitJob(1);
  auto reporter = [&](const char* name, uint64_t answered, uint32_t cooling) {
    auto worker = Connect();
    worker->Send(proto::Ready{name, 0, 4, "test"});
    proto::EndpointCounts counts;
    counts.endpoint = "http://a/classify";
    counts.answered = answered;
    counts.failed = 1;
    counts.cooling = cooling;
    proto::Heartbeat heartbeat;
    heartbeat.in_flight = 3;
    heartbeat.endpoints = {{job, {counts}}};
    worker->Send(heartbeat);
    return worker;
  };
  auto w1 = reporter("w1", 40, 1);
  auto w2 = reporter("w2", 2, 0);
  proto::JobStatus status;
  for (int i = 0; i < 100; ++i) {  // the heartbeats and the query travel on different sockets
    client_->Send(proto::StatusQuery{7, job});
    std::optional<proto::StatusReply> reply = client_->Await<proto::StatusReply>();
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->jobs.size(), 1u);
    status = reply->jobs[0];
    if (!status.endpoints.empty() && status.endpoints[0].answered == 42) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(status.endpoints.size(), 1u);
  EXPECT_EQ(status.endpoints[0].endpoint, "http://a/classify");
  EXPECT_EQ(status.endpoints[0].answered, 42u);
  EXPECT_EQ(status.endpoints[0].failed, 2u);
  EXPECT_EQ(status.endpoints[0].cooling, 1u);  // w1 rests it
  client_->Send(proto::WorkersQuery{8});
  std::optional<proto::WorkersReply> workers = client_->Await<proto::WorkersReply>();
  ASSERT_TRUE(workers.has_value());
  ASSERT_EQ(workers->workers.size(), 2u);
  EXPECT_EQ(workers->workers[0].in_flight, 3u);
}

TEST_F(BrokerLoopTest, NeverSendsMoreAssignsThanTheCreditAnnounced) {
  SubmitJob(3);
  auto worker = Connect();
  worker->Send(proto::Ready{"w1", 2, 4, "test"});
  ASSERT_TRUE(worker->Await<proto::Assign>().has_value());
  ASSERT_TRUE(worker->Await<proto::Assign>().has_value());
  EXPECT_TRUE(worker->Quiet<proto::Assign>(milliseconds(300)));
  worker->Send(proto::Ready{"w1", 1, 4, "test"});  // one slot freed: credits add up
  std::optional<proto::Assign> third = worker->Await<proto::Assign>();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->chunk_index, 2u);
}

TEST_F(BrokerLoopTest, ASilentWorkerIsDeclaredLostAndItsChunkRedeliveredUnderANewAttempt) {
  std::string job = SubmitJob(1);
  auto lost = Connect();
  lost->Send(proto::Ready{"lost", 1, 4, "test"});
  std::optional<proto::Assign> first = lost->Await<proto::Assign>();
  ASSERT_TRUE(first.has_value());
  auto survivor = Connect();
  survivor->Send(proto::Ready{"survivor", 1, 4, "test"});
  // Within liveness x interval the chunk stays with the silent worker.
  for (uint32_t i = 0; i < kLiveness; ++i) Tick({survivor.get()});
  EXPECT_TRUE(survivor->Quiet<proto::Assign>(milliseconds(200)));
  // Silent past liveness x interval: lost. After the lost chunk's backoff (250 ms) it goes to
  // the survivor, alone, as attempt 2.
  for (int i = 0; i < 3; ++i) Tick({survivor.get()});
  std::optional<proto::Assign> second = survivor->Await<proto::Assign>();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->job_id, job);
  EXPECT_EQ(second->chunk_index, 0u);
  EXPECT_EQ(second->attempt, first->attempt + 1);
}

TEST_F(BrokerLoopTest, ALeaseNotNamedInHeartbeatsExpiresAndIsRedelivered) {
  SubmitJob(1);
  auto holder = Connect();
  holder->Send(proto::Ready{"holder", 1, 4, "test"});
  std::optional<proto::Assign> first = holder->Await<proto::Assign>();
  ASSERT_TRUE(first.has_value());
  auto other = Connect();
  other->Send(proto::Ready{"other", 1, 4, "test"});
  // The holder stays alive but never names the lease: it expires after lease_ms.
  // After the lost chunk's backoff it runs alone on the worker holding nothing.
  for (uint32_t i = 0; i < kLeaseMs / kHeartbeatMs + 2; ++i) Tick({holder.get(), other.get()});
  std::optional<proto::Assign> second = other->Await<proto::Assign>();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempt, 2u);
}

TEST_F(BrokerLoopTest, HeartbeatsNamingTheLeaseKeepItPastTheLeaseTime) {
  std::string job = SubmitJob(1);
  auto holder = Connect();
  holder->Send(proto::Ready{"holder", 1, 4, "test"});
  std::optional<proto::Assign> first = holder->Await<proto::Assign>();
  ASSERT_TRUE(first.has_value());
  auto other = Connect();
  other->Send(proto::Ready{"other", 1, 4, "test"});
  std::vector<proto::LeaseRef> held{{job, 0, first->attempt}};
  for (uint32_t i = 0; i < 2 * kLeaseMs / kHeartbeatMs; ++i) {
    clock_.Advance(kHeartbeatMs);
    ASSERT_TRUE(collector_->Await<proto::Heartbeat>().has_value());
    collector_->Send(proto::Heartbeat{});
    ASSERT_TRUE(holder->Await<proto::Heartbeat>().has_value());
    proto::Heartbeat heartbeat;
    heartbeat.leases = held;
    holder->Send(heartbeat);
    ASSERT_TRUE(other->Await<proto::Heartbeat>().has_value());
    other->Send(proto::Heartbeat{});
  }
  EXPECT_TRUE(other->Quiet<proto::Assign>(milliseconds(200)));
}

TEST_F(BrokerLoopTest, AReleaseAboutAnOldAttemptIsIgnored) {
  std::string job = SubmitJob(1);
  auto lost = Connect();
  lost->Send(proto::Ready{"lost", 1, 4, "test"});
  std::optional<proto::Assign> first = lost->Await<proto::Assign>();
  ASSERT_TRUE(first.has_value());
  auto survivor = Connect();
  survivor->Send(proto::Ready{"survivor", 2, 4, "test"});
  for (uint32_t i = 0; i < kLiveness + 3; ++i) Tick({survivor.get()});
  std::optional<proto::Assign> second = survivor->Await<proto::Assign>();
  ASSERT_TRUE(second.has_value());
  // The lost worker wakes up and hands back its old lease: the current one is untouched, so
  // the chunk is not queued again (the survivor, which has credit left, gets nothing).
  proto::Release stale;
  stale.job_id = job;
  stale.chunk_index = 0;
  stale.attempt = first->attempt;
  stale.reason = "endpoint unusable";
  lost->Send(stale);
  EXPECT_TRUE(survivor->Quiet<proto::Assign>(milliseconds(300)));
}

TEST_F(BrokerLoopTest, ACommittedChunkIsNeverHandedOutAgainAndADuplicateCommitIsHarmless) {
  std::string job = SubmitJob(1);
  auto worker = Connect();
  worker->Send(proto::Ready{"w1", 1, 4, "test"});
  std::optional<proto::Assign> assign = worker->Await<proto::Assign>();
  ASSERT_TRUE(assign.has_value());
  proto::Committed committed;
  committed.job_id = job;
  committed.attempt = assign->attempt;
  committed.rows = 2;
  collector_->Send(committed);
  collector_->Send(committed);  // re-sent after a collector restart
  worker->Send(proto::Ready{"w1", 1, 4, "test"});
  // Past the lease time and the liveness of the (now silent) worker: nothing to redeliver.
  auto other = Connect();
  other->Send(proto::Ready{"other", 1, 4, "test"});
  for (uint32_t i = 0; i <= kLeaseMs / kHeartbeatMs; ++i) Tick({other.get()});
  EXPECT_TRUE(other->Quiet<proto::Assign>(milliseconds(200)));
  client_->Send(proto::StatusQuery{7, job});
  std::optional<proto::StatusReply> status = client_->Await<proto::StatusReply>();
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->jobs.size(), 1u);
  EXPECT_EQ(status->jobs[0].chunks_done, 1u);
  EXPECT_EQ(status->jobs[0].done_rows, 2u);
}

TEST_F(BrokerLoopTest, ARefusedChunkPausesTheJobUntilResumeThenGoesOutAgain) {
  std::string job = SubmitJob(2);
  auto worker = Connect();
  worker->Send(proto::Ready{"w1", 2, 4, "test"});
  std::optional<proto::Assign> first = worker->Await<proto::Assign>();
  std::optional<proto::Assign> second = worker->Await<proto::Assign>();
  ASSERT_TRUE(first.has_value() && second.has_value());
  // The endpoint answered 401: the worker hands chunk 0 back unlabelled; the job pauses.
  worker->Send(proto::Release{job, first->chunk_index, first->attempt, "refused", "",
                              "HTTP 401: API key revoked"});
  worker->Send(proto::Ready{"w1", 1, 4, "test"});
  EXPECT_TRUE(worker->Quiet<proto::Assign>(milliseconds(300)));  // parked, not handed out
  client_->Send(proto::StatusQuery{7, job});
  std::optional<proto::StatusReply> status = client_->Await<proto::StatusReply>();
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->jobs.size(), 1u);
  EXPECT_EQ(status->jobs[0].state, proto::JobState::kPaused);
  EXPECT_NE(status->jobs[0].message.find("HTTP 401: API key revoked"), std::string::npos)
      << status->jobs[0].message;
  EXPECT_EQ(status->jobs[0].error_rows, 0u);
  // The other lease runs to its end while paused: refused too, it is parked as well.
  worker->Send(proto::Release{job, second->chunk_index, second->attempt, "refused", "",
                              "HTTP 401: API key revoked"});
  EXPECT_TRUE(worker->Quiet<proto::Assign>(milliseconds(300)));
  proto::Resume resume;
  resume.request_id = 8;
  resume.job_id = job;
  client_->Send(resume);
  std::optional<proto::ResumeReply> resumed = client_->Await<proto::ResumeReply>();
  ASSERT_TRUE(resumed.has_value());
  EXPECT_TRUE(resumed->resumed) << resumed->message;
  EXPECT_EQ(resumed->state, proto::JobState::kSealed);
  // Back in their order; a refusal is not a failed attempt, and the credit still stands.
  std::optional<proto::Assign> again = worker->Await<proto::Assign>();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->chunk_index, first->chunk_index);
  EXPECT_EQ(again->attempt, first->attempt + 1);
  client_->Send(resume);  // nothing left to resume
  resumed = client_->Await<proto::ResumeReply>();
  ASSERT_TRUE(resumed.has_value());
  EXPECT_FALSE(resumed->resumed);
}

}  // namespace
}  // namespace sieve
