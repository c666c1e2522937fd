#include "net/zmq_io.h"

#include <spdlog/spdlog.h>

namespace sieve {

void ConfigureSocket(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, proto::kMaxMessageBytes);
  socket.set(zmq::sockopt::tcp_keepalive, 1);
  socket.set(zmq::sockopt::sndhwm, 10000);
  socket.set(zmq::sockopt::rcvhwm, 10000);
}

Result<std::optional<proto::Frames>> ReceiveFrames(zmq::socket_t& socket, std::string* user_id) {
  proto::Frames frames;
  try {
    while (true) {
      zmq::message_t part;
      zmq::recv_result_t got = socket.recv(part, zmq::recv_flags::dontwait);
      if (!got) {
        if (frames.empty()) return std::optional<proto::Frames>();
        return Status::Internal("multipart message ended early");  // libzmq delivers atomically
      }
      if (user_id != nullptr) {
        // A ROUTER's identity frame is made locally and carries no metadata: take the
        // User-Id from the frames that came over the wire.
        if (frames.empty()) user_id->clear();
        const char* id = zmq_msg_gets(part.handle(), "User-Id");
        if (id != nullptr) user_id->assign(id);
      }
      frames.emplace_back(static_cast<const char*>(part.data()), part.size());
      if (!part.more()) break;
      if (frames.size() > proto::kMaxFrames + 1) {
        // Drain the rest so the socket stays in step, then refuse.
        while (part.more() && socket.recv(part, zmq::recv_flags::dontwait)) {
        }
        return Status::TooLarge("message has more than " + std::to_string(proto::kMaxFrames + 1) +
                                " frames");
      }
    }
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("receive failed: ") + e.what());
  }
  return std::optional<proto::Frames>(std::move(frames));
}

Status SendFrames(zmq::socket_t& socket, std::string_view identity, const proto::Frames& frames) {
  try {
    if (!identity.empty()) {
      if (!socket.send(zmq::const_buffer(identity.data(), identity.size()),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return Status::Unavailable("peer " + IdentityToString(identity) + " is not accepting");
      }
    }
    for (size_t i = 0; i < frames.size(); ++i) {
      zmq::send_flags flags = zmq::send_flags::dontwait;
      if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
      if (!socket.send(zmq::const_buffer(frames[i].data(), frames[i].size()), flags)) {
        return Status::Unavailable("peer is not accepting messages");
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      return Status::Unavailable("peer " + IdentityToString(identity) + " is gone");
    }
    return Status::IoError(std::string("send failed: ") + e.what());
  }
  return Status::Ok();
}

Status SendMessage(zmq::socket_t& socket, std::string_view identity, proto::Message message) {
  return SendFrames(socket, identity, proto::Encode(std::move(message)));
}

void SendError(zmq::socket_t& socket, std::string_view identity,
               std::optional<uint64_t> request_id, const Status& status) {
  proto::ErrorReply error;
  error.request_id = request_id;
  error.code = proto::ErrorCodeFor(status);
  error.message = status.message();
  Status s = SendMessage(socket, identity, std::move(error));
  if (!s.ok()) spdlog::debug("cannot send ERROR to {}: {}", IdentityToString(identity), s.ToString());
}

std::string IdentityToString(std::string_view identity) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(identity.size() * 2);
  for (unsigned char c : identity) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string BoundEndpoint(zmq::socket_t& socket) {
  return socket.get(zmq::sockopt::last_endpoint);
}

}  // namespace sieve
