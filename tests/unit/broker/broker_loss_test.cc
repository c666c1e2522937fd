// The broker's rules for lost workers (broker.h, LOST IS NOT FAILED), proven in process: a real
// Broker on loopback, driven by a FakeClock, with the client, the collector and the workers
// played by DEALER sockets speaking the real protocol. A worker "dies" by going silent while
// the clock moves past the liveness limit.
#include "broker/broker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "net/zmq_io.h"
#include "proto/codec.h"

namespace sieve {
namespace {

using namespace std::chrono_literals;

class BrokerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("broker_loss_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    BrokerOptions options;
    options.listen = "tcp://127.0.0.1:*";
    options.data_dir = dir_.string();
    options.clock = &clock_;
    options.lease_ms = 1'000'000;  // only deaths end leases here, not expiry
    options.lost_backoff_ms = 1;
    options.poison_deaths = 2;
    auto broker = Broker::Create(context_, options);
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    thread_ = std::thread([this] { (void)broker_->Run(); });
  }
  void TearDown() override {
    broker_->RequestStop();
    thread_.join();
    sockets_.clear();
    broker_.reset();
    std::filesystem::remove_all(dir_);
  }

  zmq::socket_t& Connect() {
    sockets_.push_back(std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer));
    ConfigureSocket(*sockets_.back());
    sockets_.back()->connect(broker_->endpoint());
    return *sockets_.back();
  }
  static void Send(zmq::socket_t& socket, proto::Message message) {
    ASSERT_TRUE(SendMessage(socket, "", std::move(message)).ok());
  }
  // The next message of type T on `socket` within `wait` (others are skipped).
  template <typename T>
  static std::optional<T> Expect(zmq::socket_t& socket, std::chrono::milliseconds wait = 3s) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      auto frames = ReceiveFrames(socket);
      if (!frames.ok() || !frames->has_value()) continue;
      auto message = proto::Decode(std::move(**frames));
      if (message.ok() && std::holds_alternative<T>(*message)) return std::get<T>(*message);
    }
    return std::nullopt;
  }
  // Moves the clock `seconds` seconds, one heartbeat interval at a time; the peers in `alive`
  // heartbeat at each step, the others stay silent (and die after 3 s).
  void Pass(int seconds, std::vector<zmq::socket_t*> alive) {
    for (int i = 0; i < seconds; ++i) {
      for (zmq::socket_t* peer : alive) Send(*peer, proto::Heartbeat{});
      std::this_thread::sleep_for(150ms);  // the loop handles them at the current time
      clock_.Advance(1000);
      std::this_thread::sleep_for(150ms);  // and reaps at the new one
    }
    clock_.Advance(10);  // past the lost chunks' backoff (lost_backoff_ms = 1)
    std::this_thread::sleep_for(150ms);
  }
  // A job of two one-row chunks, max_attempts 1: a lost lease that spent an attempt would
  // fail a chunk at once.
  std::string SubmitJob(zmq::socket_t& client) {
    proto::Submit submit;
    submit.request_id = 1;
    submit.spec.endpoint = "http://127.0.0.1:9/classify";
    submit.spec.max_attempts = 1;
    submit.header_record = "website,content\n";
    Send(client, submit);
    auto submitted = Expect<proto::Submitted>(client);
    EXPECT_TRUE(submitted.has_value());
    std::string job = submitted ? submitted->job_id : "";
    Send(client, proto::Chunk{job, 0, 0, 1, "a.com,x\n"});
    Send(client, proto::Chunk{job, 1, 1, 1, "b.com,y\n"});
    Send(client, proto::Seal{job, 2, 2});
    EXPECT_TRUE(Expect<proto::Sealed>(client).has_value());
    return job;
  }
  zmq::socket_t& Worker(const std::string& name, uint32_t credit) {
    zmq::socket_t& w = Connect();
    Send(w, proto::Ready{name, credit, 4, ""});
    return w;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  zmq::context_t context_;
  std::unique_ptr<Broker> broker_;
  std::thread thread_;
  std::vector<std::unique_ptr<zmq::socket_t>> sockets_;
};

TEST_F(BrokerLossTest, LostIsNotFailedAndPoisonNeedsDeathsInARow) {
  zmq::socket_t& collector = Connect();
  Send(collector, proto::CollectorReady{"tcp://127.0.0.1:9", "collector", ""});
  zmq::socket_t& client = Connect();
  const std::string job = SubmitJob(client);

  // a takes chunk 0 with room for more (not alone) and dies: lost, not failed.
  zmq::socket_t& a = Worker("a", 1);
  auto first = Expect<proto::Assign>(a);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->chunk_index, 0u);
  Pass(4, {&collector});

  // b gets chunk 0 again, alone, despite max_attempts 1; dies holding it alone: 1 death.
  zmq::socket_t& b = Worker("b", 1);
  auto second = Expect<proto::Assign>(b);
  ASSERT_TRUE(second.has_value()) << "a lost lease spent the chunk's only attempt";
  EXPECT_EQ(second->chunk_index, 0u);
  EXPECT_EQ(second->attempt, 2u);
  Pass(4, {&collector});

  // c (credit 2) runs chunk 0 alone: it gets nothing else. d takes chunk 1 and dies first:
  // a death not holding chunk 0 breaks its run, so c's death is again only the first.
  zmq::socket_t& c = Worker("c", 2);
  auto third = Expect<proto::Assign>(c);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->chunk_index, 0u);
  zmq::socket_t& d = Worker("d", 1);
  auto other = Expect<proto::Assign>(d);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->chunk_index, 1u);
  EXPECT_FALSE(Expect<proto::Assign>(c, 300ms).has_value()) << "a worker running a chunk "
                                                               "alone was given another";
  Pass(2, {&collector, &c});
  Pass(2, {&collector});  // d is reaped first, then c
  Pass(2, {&collector});
  EXPECT_FALSE(Expect<proto::ChunkResult>(collector, 300ms).has_value())
      << "isolated although another worker died in between";

  // The next worker to die holding chunk 0 alone makes 2 deaths in a row (c, then it):
  // isolated. (Chunk 1, lost with d, runs alone first; it completes.)
  for (const char* name : {"e", "f", "g"}) {
    zmq::socket_t& w = Worker(name, 1);
    auto assign = Expect<proto::Assign>(w);
    ASSERT_TRUE(assign.has_value()) << name;
    if (assign->chunk_index == 1) {  // chunk 1 completes: committed by the collector
      Send(collector, proto::Committed{job, 1, assign->attempt, 1, 0});
      Send(w, proto::Ready{name, 1, 4, ""});
      assign = Expect<proto::Assign>(w);
      ASSERT_TRUE(assign.has_value()) << name;
    }
    EXPECT_EQ(assign->chunk_index, 0u);
    Pass(4, {&collector});
    if (auto result = Expect<proto::ChunkResult>(collector, 500ms)) {
      EXPECT_EQ(result->chunk_index, 0u);
      EXPECT_EQ(result->error_count, 1u);
      ASSERT_EQ(result->errors.size(), 1u);
      EXPECT_NE(result->errors[0].reason.find("poison pill"), std::string::npos)
          << result->errors[0].reason;
      EXPECT_NE(result->errors[0].reason.find("(c, e)"), std::string::npos)
          << result->errors[0].reason;
      return;
    }
  }
  FAIL() << "chunk 0 was never isolated";
}

}  // namespace
}  // namespace sieve
