// LoopHarness: drives a real Broker loop in-process, over inproc:// sockets, on a FakeClock, so a
// rule about heartbeats, leases or redelivery is tested in milliseconds and exactly, without
// processes or sleeping through real timeouts. The test plays every other peer (client,
// collector, workers) with a TestPeer that speaks the real protocol.
//
// Time: the broker reads only the FakeClock; its poll still waits up to 100 ms of real time
// when idle, so a test that advances the clock then waits for the broker's reaction (a message
// on some peer) is exact about fake time and takes at most a few real poll intervals.
//
// Thread-safety: the broker runs on its own thread; every TestPeer is used by the test thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "broker/broker.h"
#include "common/clock.h"
#include "net/zmq_io.h"
#include "proto/codec.h"

namespace sieve::testing {

// One DEALER connected to an inproc endpoint, speaking the Sieve protocol.
class TestPeer {
 public:
  TestPeer(zmq::context_t& context, const std::string& endpoint)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void Send(proto::Message message) {
    Status s = SendMessage(socket_, "", std::move(message));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The next message of type T within `timeout`, skipping messages of other types (heartbeats
  // and the like). nullopt on timeout.
  template <typename T>
  std::optional<T> Await(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      Result<std::optional<proto::Frames>> frames = ReceiveFrames(socket_);
      if (!frames.ok() || !frames->has_value()) continue;
      Result<proto::Message> message = proto::Decode(std::move(**frames));
      if (!message.ok()) continue;
      if (T* wanted = std::get_if<T>(&*message)) return std::move(*wanted);
    }
    return std::nullopt;
  }

  // True when no message of type T arrives within `window` (others are discarded).
  template <typename T>
  bool Quiet(std::chrono::milliseconds window) {
    return !Await<T>(window).has_value();
  }

 private:
  zmq::socket_t socket_;
};

// A broker on inproc:// with a fake clock and a fresh data dir, running on a thread.
class LoopHarness {
 public:
  explicit LoopHarness(BrokerOptions options = {}) {
    static int serial = 0;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    data_dir_ = std::filesystem::path(::testing::TempDir()) /
                ("broker_loop_" + name + "_" + std::to_string(++serial));
    std::filesystem::remove_all(data_dir_);
    options.data_dir = data_dir_.string();
    options.listen = "inproc://broker-" + name + "-" + std::to_string(serial);
    options.clock = &clock_;
    Result<std::unique_ptr<Broker>> broker = Broker::Create(context_, std::move(options));
    EXPECT_TRUE(broker.ok()) << broker.status().ToString();
    if (!broker.ok()) return;
    broker_ = std::move(*broker);
    thread_ = std::thread([this] { run_status_ = broker_->Run(); });
  }

  ~LoopHarness() { Stop(); }

  void Stop() {
    if (!thread_.joinable()) return;
    broker_->RequestStop();
    thread_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  }

  std::unique_ptr<TestPeer> Connect() {
    return std::make_unique<TestPeer>(context_, broker_->endpoint());
  }

  FakeClock& clock() { return clock_; }
  zmq::context_t& context() { return context_; }

 private:
  FakeClock clock_;
  zmq::context_t context_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Broker> broker_;
  std::thread thread_;
  Status run_status_;
};

}  // namespace sieve::testing
