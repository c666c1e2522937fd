// Loop harness: runs a Sieve event loop (Broker, Collector, WorkerNode) in-process on its own
// thread, over inproc:// sockets and a FakeClock, while the test plays every other peer with
// sockets that speak the real protocol. A rule about heartbeats, leases, redelivery or
// reconnects is then tested in milliseconds and exactly, without processes or real timeouts.
//
// Time: the loop reads only the FakeClock; its poll still waits up to ~100 ms of real time
// when idle, so a test advances the clock, then waits for the loop's reaction (a message on
// one of its peers): exact in fake time, a few real poll intervals at most.
//
// Thread-safety: the loop runs on its thread; peers, routers and the clock are driven by the
// test thread (FakeClock is atomic). Declare the context first, peers after the loop, so that
// sockets close before the context and the loop stops before its peers vanish.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/status.h"
#include "net/zmq_io.h"
#include "proto/codec.h"

namespace sieve::testing {

// A fresh, empty directory under the test temp dir, unique per test and call.
inline std::string ScratchDir(const std::string& what) {
  static int serial = 0;
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              (what + "_" + name + "_" + std::to_string(++serial));
  std::filesystem::remove_all(dir);
  return dir.string();
}

// A unique inproc:// endpoint for this test.
inline std::string InprocEndpoint(const std::string& what) {
  static int serial = 0;
  return "inproc://" + what + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
         std::to_string(++serial);
}

// The test's end of a socket: sends messages and awaits one of a given type.
class TestSocket {
 public:
  TestSocket(zmq::context_t& context, zmq::socket_type type) : socket_(context, type) {
    socket_.set(zmq::sockopt::linger, 0);
  }

  // Sends `message`, to `identity` on a ROUTER (empty on a DEALER).
  void Send(proto::Message message, const std::string& identity = "") {
    Status s = SendMessage(socket_, identity, std::move(message));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The next message of type T within `timeout` and the identity of its sender (ROUTER; empty
  // on a DEALER). Messages of other types are kept, in order, for later Awaits. nullopt on
  // timeout.
  template <typename T>
  std::optional<std::pair<std::string, T>> AwaitFrom(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (T* wanted = std::get_if<T>(&it->second)) {
        std::pair<std::string, T> got{std::move(it->first), std::move(*wanted)};
        kept_.erase(it);
        return got;
      }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      Result<std::optional<proto::Frames>> frames = ReceiveFrames(socket_);
      if (!frames.ok() || !frames->has_value()) continue;
      std::string identity;
      proto::Frames body = std::move(**frames);
      if (socket_.get(zmq::sockopt::type) == ZMQ_ROUTER) {
        Result<proto::Routed> routed = proto::PopIdentity(std::move(body));
        if (!routed.ok()) continue;
        identity = std::move(routed->identity);
        body = std::move(routed->body);
      }
      Result<proto::Message> message = proto::Decode(std::move(body));
      if (!message.ok()) continue;
      if (T* wanted = std::get_if<T>(&*message)) {
        return std::make_pair(std::move(identity), std::move(*wanted));
      }
      if (!std::holds_alternative<proto::Heartbeat>(*message)) {  // heartbeats: liveness only
        kept_.emplace_back(std::move(identity), std::move(*message));
      }
    }
    return std::nullopt;
  }

  template <typename T>
  std::optional<T> Await(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    auto got = AwaitFrom<T>(timeout);
    if (!got) return std::nullopt;
    return std::move(got->second);
  }

  // True when no message of type T is kept or arrives within `window`.
  template <typename T>
  bool Quiet(std::chrono::milliseconds window) {
    return !AwaitFrom<T>(window).has_value();
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
  std::deque<std::pair<std::string, proto::Message>> kept_;  // received, not yet awaited
};

// A DEALER connected to `endpoint`: a worker, client or collector talking to a loop.
inline std::unique_ptr<TestSocket> ConnectPeer(zmq::context_t& context,
                                               const std::string& endpoint) {
  auto peer = std::make_unique<TestSocket>(context, zmq::socket_type::dealer);
  peer->socket().connect(endpoint);
  return peer;
}

// A ROUTER bound at `endpoint`: a broker or collector that a loop connects to.
inline std::unique_ptr<TestSocket> BindRouter(zmq::context_t& context,
                                              const std::string& endpoint) {
  auto router = std::make_unique<TestSocket>(context, zmq::socket_type::router);
  router->socket().bind(endpoint);
  return router;
}

// Runs `loop->Run()` on a thread until Stop() (or destruction); the loop's Run must return OK.
template <typename Loop>
class LoopThread {
 public:
  explicit LoopThread(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {
    thread_ = std::thread([this] { status_ = loop_->Run(); });
  }
  ~LoopThread() { Stop(); }

  void Stop() {
    if (!thread_.joinable()) return;
    loop_->RequestStop();
    thread_.join();
    EXPECT_TRUE(status_.ok()) << status_.ToString();
  }

  Loop& loop() { return *loop_; }

 private:
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  Status status_;
};

}  // namespace sieve::testing
