#include "client/peer_connection.h"

#include "net/zmq_io.h"

namespace sieve {
namespace {

// The request id a reply echoes, if its command has one.
std::optional<uint64_t> ReplyRequestId(const proto::Message& message) {
  return std::visit(
      [](const auto& m) -> std::optional<uint64_t> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, proto::ErrorReply>) {
          return m.request_id;
        } else if constexpr (requires { m.request_id; }) {
          return m.request_id;
        } else {
          return std::nullopt;
        }
      },
      message);
}

}  // namespace

Status StatusFromError(const proto::ErrorReply& error, const std::string& peer) {
  std::string msg = peer + " refused the request: " + error.message;
  switch (error.code) {
    case proto::ErrorCode::kUnknownJob: return Status::NotFound(msg);
    case proto::ErrorCode::kNotAllowed: return Status::PermissionDenied(msg);
    case proto::ErrorCode::kVersionMismatch: return Status::VersionMismatch(msg);
    case proto::ErrorCode::kTooLarge: return Status::TooLarge(msg);
    case proto::ErrorCode::kBusy: return Status::Unavailable(msg);
    default: return Status::InvalidArgument(msg);
  }
}

PeerConnection::PeerConnection(zmq::context_t& context, std::string endpoint)
    : PeerConnection(context, std::move(endpoint), CurveConfig{}, "") {}

PeerConnection::PeerConnection(zmq::context_t& context, std::string endpoint,
                               const CurveConfig& curve, const std::string& server_key)
    : endpoint_(std::move(endpoint)),
      socket_(context, zmq::socket_type::dealer),
      curve_(curve.enabled()) {
  ConfigureSocket(socket_);
  ApplyCurveClient(socket_, curve, server_key);
  socket_.connect(endpoint_);
}

Result<PeerConnection> PeerConnection::Connect(zmq::context_t& context, std::string endpoint,
                                               const CurveConfig& curve,
                                               const std::string& server_key) {
  if (curve.enabled() && !IsZ85Key(server_key)) {
    return Status::InvalidArgument("no valid CURVE public key for " + endpoint +
                                   ": with --curve-key, the server must use CURVE too");
  }
  return PeerConnection(context, std::move(endpoint), curve, server_key);
}

Status PeerConnection::Send(proto::Message message) {
  // A DEALER queues while the TCP connection is being made; a full queue means no peer.
  return SendMessage(socket_, "", std::move(message));
}

Result<proto::Message> PeerConnection::Receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Result<std::optional<proto::Frames>> frames = ReceiveFrames(socket_);
    if (!frames.ok()) return frames.status();
    if (frames->has_value()) return proto::Decode(std::move(**frames));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status::Unavailable("no answer from " + endpoint_ + " within " +
                                 std::to_string((timeout.count() + 999) / 1000) +
                                 " s; is it running and reachable?" +
                                 (curve_ ? " (with CURVE: is this key on its allow-list, and is "
                                           "the server key right?)"
                                         : ""));
    }
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(200)));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::IoError(std::string("poll failed: ") + e.what());
    }
  }
}

Result<proto::Message> PeerConnection::Call(proto::Message request, uint64_t request_id,
                                            std::chrono::milliseconds timeout) {
  SIEVE_RETURN_IF_ERROR(Send(std::move(request)));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    Result<proto::Message> reply = Receive(std::max(left, std::chrono::milliseconds(1)));
    if (!reply.ok()) return reply.status();
    std::optional<uint64_t> id = ReplyRequestId(*reply);
    if (id && *id != request_id) continue;  // a late answer to an earlier request
    if (auto* error = std::get_if<proto::ErrorReply>(&*reply)) {
      return StatusFromError(*error, endpoint_);
    }
    return reply;
  }
}

}  // namespace sieve
