#include "net/message_inbox.h"

#include <spdlog/spdlog.h>

#include "net/zmq_io.h"

namespace sieve {

int MessageInbox::Drain(zmq::socket_t& socket, int max,
                        const std::function<void(Incoming&)>& handle) {
  int taken = 0;
  for (; taken < max; ++taken) {
    Incoming incoming;
    Result<std::optional<proto::Frames>> frames =
        ReceiveFrames(socket, routed_ ? &incoming.user_id : nullptr);
    if (!frames.ok()) {  // too many frames, or the socket failed: nothing to answer
      ++refused_;
      spdlog::warn("refused a message from {}: {}", from_, frames.status().ToString());
      continue;
    }
    if (!frames->has_value()) break;
    proto::Frames body = std::move(**frames);
    if (routed_) {
      Result<proto::Routed> routed = proto::PopIdentity(std::move(body));
      if (!routed.ok()) {
        ++refused_;
        spdlog::warn("refused a message from {}: {}", from_, routed.status().ToString());
        continue;
      }
      incoming.peer = std::move(routed->identity);
      body = std::move(routed->body);
    }
    Result<proto::Message> message = proto::Decode(std::move(body));
    if (!message.ok()) {
      Refuse(socket, incoming.peer, std::nullopt, message.status());
      continue;
    }
    incoming.message = std::move(*message);
    handle(incoming);
  }
  return taken;
}

void MessageInbox::Refuse(zmq::socket_t& socket, const std::string& peer,
                          std::optional<uint64_t> request_id, const Status& status) {
  ++refused_;
  spdlog::warn("refused a message from {}{}: {}", from_,
               peer.empty() ? "" : " " + IdentityToString(peer), status.ToString());
  if (routed_) SendError(socket, peer, request_id, status);
}

}  // namespace sieve
