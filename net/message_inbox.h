// MessageInbox: the one way a Sieve loop receives protocol messages from a socket. It receives
// without waiting, splits the routing identity on a ROUTER, decodes under the protocol's
// limits, and either hands the message to the caller or refuses it. A refused message is
// counted, logged, and, on a ROUTER (where the peer can be answered), answered with ERROR in
// our protocol version (docs/protocol.md section 5). Nothing is dropped silently; nothing a
// peer sends can stop the loop (Majordomo's mdbroker asserts here; we refuse and go on).
//
// Cost: Drain does bounded work, at most `max` messages per call, so timers still run under a
// flood. Thread-safety: not thread-safe; used by the thread that owns the socket.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

struct Incoming {
  std::string peer;     // routing identity on a ROUTER; empty on a DEALER
  std::string user_id;  // the ZAP User-Id ("ROLE:KEY" with CURVE), empty without
  proto::Message message;
};

class MessageInbox {
 public:
  // `from` names the peers for logs ("a worker or client", "the broker").
  MessageInbox(std::string from, bool routed) : from_(std::move(from)), routed_(routed) {}

  // Hands each waiting, well-formed message to `handle`, at most `max` of them; refuses the
  // rest. Returns how many messages were taken off the socket (handled or refused).
  int Drain(zmq::socket_t& socket, int max, const std::function<void(Incoming&)>& handle);

  // Refuses a message that decoded but may not be accepted (wrong role, not a command for this
  // peer): counts, logs, and answers ERROR on a ROUTER.
  void Refuse(zmq::socket_t& socket, const std::string& peer,
              std::optional<uint64_t> request_id, const Status& status);

  uint64_t refused() const { return refused_; }

 private:
  std::string from_;
  bool routed_;
  uint64_t refused_ = 0;
};

}  // namespace sieve
