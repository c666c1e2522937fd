#include "net/zap_authenticator.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

#include "net/curve.h"

namespace sieve {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

const std::pair<const char*, PeerRole> kRoleDirs[] = {
    {"clients", PeerRole::kClient},
    {"workers", PeerRole::kWorker},
    {"collectors", PeerRole::kCollector},
};

}  // namespace

std::string_view PeerRoleName(PeerRole role) {
  switch (role) {
    case PeerRole::kAny: return "any";
    case PeerRole::kClient: return "client";
    case PeerRole::kWorker: return "worker";
    case PeerRole::kCollector: return "collector";
  }
  return "unknown";
}

std::optional<PeerRole> RoleFromUserId(std::string_view user_id) {
  if (user_id.empty()) return PeerRole::kAny;
  std::string_view role = user_id.substr(0, user_id.find(':'));
  for (PeerRole r : {PeerRole::kClient, PeerRole::kWorker, PeerRole::kCollector}) {
    if (role == PeerRoleName(r)) return r;
  }
  return std::nullopt;
}

Result<AllowList> AllowList::Load(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    return Status::InvalidArgument("allow-list " + dir + " is not a directory");
  }
  AllowList list;
  for (const auto& [sub, role] : kRoleDirs) {
    std::error_code ec;
    std::filesystem::path path = std::filesystem::path(dir) / sub;
    if (!std::filesystem::is_directory(path)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.path().extension() != ".pub") continue;
      Result<std::string> key = ReadKeyFile(entry.path().string());
      if (!key.ok()) return key.status();
      list.roles_[*key] = role;
    }
  }
  return list;
}

std::optional<PeerRole> AllowList::RoleOf(const std::string& z85_public_key) const {
  auto it = roles_.find(z85_public_key);
  if (it == roles_.end()) return std::nullopt;
  return it->second;
}

Result<std::unique_ptr<ZapAuthenticator>> ZapAuthenticator::Start(zmq::context_t& context,
                                                                  AllowList allow) {
  std::unique_ptr<ZapAuthenticator> auth(new ZapAuthenticator(context, std::move(allow)));
  try {
    auth->socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("cannot start the ZAP handler: ") + e.what());
  }
  auth->thread_ = std::thread([a = auth.get()] { a->Serve(); });
  spdlog::info("CURVE authentication on: {} public keys allowed", auth->allow_.size());
  return auth;
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, AllowList allow)
    : socket_(context, zmq::socket_type::rep), allow_(std::move(allow)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvtimeo, 100);
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ZapAuthenticator::Serve() {
  while (!stop_.load()) {
    std::vector<zmq::message_t> request;
    try {
      zmq::message_t part;
      if (!socket_.recv(part)) continue;  // timeout: check stop_
      request.push_back(std::move(part));
      while (request.back().more()) {
        zmq::message_t next;
        if (!socket_.recv(next)) break;
        request.push_back(std::move(next));
      }
    } catch (const zmq::error_t&) {
      continue;
    }
    // Frames: version, request id, domain, address, identity, mechanism, credentials...
    std::string status = "400";
    std::string text = "not allowed";
    std::string user_id;
    if (request.size() >= 7 && request[0].to_string_view() == "1.0" &&
        request[5].to_string_view() == "CURVE" && request[6].size() == 32) {
      char z85[kZ85KeyLength + 1];
      zmq_z85_encode(z85, static_cast<const uint8_t*>(request[6].data()), 32);
      if (std::optional<PeerRole> role = allow_.RoleOf(z85)) {
        status = "200";
        text = "OK";
        user_id = std::string(PeerRoleName(*role)) + ":" + z85;
      } else {
        spdlog::warn("refused a CURVE peer from {}: public key {} is not on the allow-list",
                     request[3].to_string(), z85);
      }
    }
    (status == "200" ? admitted_ : refused_)++;
    std::string request_id = request.size() >= 2 ? request[1].to_string() : std::string();
    try {
      socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      spdlog::error("ZAP reply failed: {}", e.what());
    }
  }
}

}  // namespace sieve
