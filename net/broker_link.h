// BrokerLink: a worker's or a collector's connection to the broker (the role of Majordomo's
// mdwrkapi.c), in one place for both.
//
// DESIGN
// A DEALER connected to the broker. Connect() opens a fresh socket (dropping whatever was
// queued for a dead broker), connects, and announces this peer with its hello message (READY,
// COLLECTOR_READY). Paranoid Pirate liveness as a small state machine driven by Tick(now):
//   - every heartbeat interval, send the caller's heartbeat (which may name leases);
//   - the broker is alive while it has been heard from within liveness x interval (+ the
//     current backoff); when it falls silent, reconnect, and double the backoff
//     (kReconnectInitialMs -> kReconnectMaxMs); hearing from it resets the backoff;
//   - a DISCONNECT from the broker (it restarted, or declared us dead) is answered by
//     announcing ourselves again on the same socket; the caller never sees it.
// Every received message goes through a MessageInbox (decode, refuse, count, log).
//
// Thread-safety: not thread-safe; owned by one loop thread (it owns the socket).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "common/clock.h"
#include "net/curve.h"
#include "net/message_inbox.h"
#include "proto/codec.h"

namespace sieve {

struct BrokerLinkOptions {
  std::string endpoint;  // the broker's endpoint
  CurveConfig curve;     // own keys and the broker's public key; off: plaintext
  uint32_t heartbeat_ms = proto::kHeartbeatIntervalMs;
  uint32_t liveness = proto::kHeartbeatLiveness;
  const Clock* clock = &SystemClock::Get();
};

class BrokerLink {
 public:
  // `hello` builds the announcement sent on every (re)connect and re-registration.
  BrokerLink(zmq::context_t& context, BrokerLinkOptions options,
             std::function<proto::Message()> hello);

  // Opens a fresh connection and announces this peer. The broker counts as alive from now.
  void Connect();
  // Sends without blocking; a failure (broker gone, queue full) is logged and dropped: the
  // protocol's resends and leases cover it.
  void Send(proto::Message message);
  // Hands every waiting message from the broker to `handle` (at most `max`), except
  // HEARTBEAT (liveness only) and DISCONNECT (re-announce). Returns how many were received.
  int Receive(int max, const std::function<void(proto::Message&)>& handle);
  // Refuses a message `Receive` handed over that the caller does not accept: counted and
  // logged (never answered: the broker is not told about its own bugs in a loop).
  void Refuse(const Status& status) { inbox_.Refuse(*socket_, "", std::nullopt, status); }
  // Heartbeats when due, with the message `heartbeat` builds, and reconnects when the broker
  // has been silent too long. Returns true when it reconnected.
  bool Tick(int64_t now, const std::function<proto::Heartbeat()>& heartbeat);

  zmq::socket_t& socket() { return *socket_; }
  // Reconnects and re-registrations since the start.
  uint64_t reconnects() const { return reconnects_; }
  uint64_t refused() const { return inbox_.refused(); }

 private:
  zmq::context_t& context_;
  BrokerLinkOptions options_;
  std::function<proto::Message()> hello_;
  std::unique_ptr<zmq::socket_t> socket_;
  MessageInbox inbox_{"the broker", /*routed=*/false};
  int64_t broker_seen_ms_ = 0;
  int64_t next_heartbeat_ms_ = 0;
  int64_t reconnect_delay_ms_ = 0;
  uint64_t reconnects_ = 0;
};

}  // namespace sieve
