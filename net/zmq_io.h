// ZeroMQ I/O for protocol messages: moving proto::Frames and proto::Message through sockets.
//
// Sending never blocks the caller's loop: every send uses ZMQ_DONTWAIT and reports a full or
// unroutable peer as Status::Unavailable, so a slow or vanished peer cannot stall a broker or
// collector. Receiving returns nullopt when nothing is waiting. cppzmq exceptions are caught
// here and returned as Status values.
//
// Thread-safety: like the socket passed in (one thread per socket).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "common/status.h"
#include "proto/codec.h"
#include "proto/frames.h"

namespace sieve {

// Socket options every Sieve socket gets: no linger on close, a cap on incoming message
// size (proto::kMaxMessageBytes, refused by libzmq before it is buffered), and TCP keepalive.
void ConfigureSocket(zmq::socket_t& socket);

// Receives one multipart message without waiting. nullopt when none is waiting. When
// `user_id` is given it receives the ZAP User-Id of the sender ("ROLE:KEY" with CURVE,
// empty without).
Result<std::optional<proto::Frames>> ReceiveFrames(zmq::socket_t& socket,
                                                   std::string* user_id = nullptr);

// Sends frames, preceded by `identity` when it is not empty (ROUTER sockets).
Status SendFrames(zmq::socket_t& socket, std::string_view identity, const proto::Frames& frames);

// Encodes and sends a message (see SendFrames).
Status SendMessage(zmq::socket_t& socket, std::string_view identity, proto::Message message);

// Answers a request with ERROR{code for `status`, its message} (docs/protocol.md section 5).
// A failure to send is logged at debug level: the peer may be gone.
void SendError(zmq::socket_t& socket, std::string_view identity,
               std::optional<uint64_t> request_id, const Status& status);

// A printable form of a routing identity (hex), for logs and listings.
std::string IdentityToString(std::string_view identity);

// The endpoint a bound socket actually listens on (port 0 / '*' resolved).
std::string BoundEndpoint(zmq::socket_t& socket);

}  // namespace sieve
