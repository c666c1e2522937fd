// PeerConnection: a client's DEALER connection to the broker or a collector, with
// request/reply helpers and timeouts.
//
// A peer that does not answer within the timeout gives Status::Unavailable (the CLI maps it to
// exit code 3). An ERROR reply becomes a Status carrying the peer's message. Replies to
// earlier requests that arrive late are skipped by Call (matched on request_id).
//
// Thread-safety: not thread-safe; one thread uses a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <zmq.hpp>

#include "net/curve.h"
#include "common/status.h"
#include "proto/codec.h"

namespace sieve {

class PeerConnection {
 public:
  // A plaintext connection (CURVE off).
  PeerConnection(zmq::context_t& context, std::string endpoint);
  // With CURVE on (`curve.enabled()`) the connection is encrypted, and authenticated to the
  // server whose public key is `server_key`; InvalidArgument when that key is not a Z85 key.
  // With CURVE off, the same as the constructor.
  static Result<PeerConnection> Connect(zmq::context_t& context, std::string endpoint,
                                        const CurveConfig& curve, const std::string& server_key);

  const std::string& endpoint() const { return endpoint_; }
  Status Send(proto::Message message);
  // The next message, waiting at most `timeout`. Unavailable on timeout.
  Result<proto::Message> Receive(std::chrono::milliseconds timeout);
  // Sends `request` (which carries `request_id`) and waits for the reply with that id.
  Result<proto::Message> Call(proto::Message request, uint64_t request_id,
                              std::chrono::milliseconds timeout);
  // A fresh request id.
  uint64_t NextRequestId() { return ++last_request_id_; }

 private:
  PeerConnection(zmq::context_t& context, std::string endpoint, const CurveConfig& curve,
                 const std::string& server_key);

  std::string endpoint_;
  zmq::socket_t socket_;
  bool curve_ = false;
  uint64_t last_request_id_ = 0;
};

// The Status an ERROR reply stands for.
Status StatusFromError(const proto::ErrorReply& error, const std::string& peer);

}  // namespace sieve
