// Frames: the list-of-byte-strings form of one ZeroMQ multipart message, and helpers for the
// routing envelope that ROUTER sockets put in front of it.
//
// proto/ never touches a socket: socket code copies zmq::message_t parts into a Frames
// (one std::string per part) and back. A Frames owns its bytes.
//
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace sieve::proto {

using Frames = std::vector<std::string>;

// A message received on (or to be sent through) a ROUTER socket: the peer's routing
// identity, then the protocol frames.
struct Routed {
  std::string identity;
  Frames body;
};

// Splits the identity frame off a ROUTER message. Fails with Status::Corrupt when `frames`
// is empty or the identity is empty or longer than 255 bytes (ZeroMQ's limit).
Result<Routed> PopIdentity(Frames frames);

// The frames to hand a ROUTER socket to send `routed.body` to `routed.identity`.
Frames PushIdentity(Routed routed);

// A one-line description for logs: frame count, sizes, and the command frame when it is
// short printable ASCII. Never includes header or bulk bytes (they may hold secrets).
std::string DescribeFrames(const Frames& frames);

}  // namespace sieve::proto
