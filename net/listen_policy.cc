#include "net/listen_policy.h"

#include <spdlog/spdlog.h>

namespace sieve {

bool IsLoopbackEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  const std::string tcp = "tcp://";
  if (endpoint.rfind(tcp, 0) != 0) return false;
  std::string host = endpoint.substr(tcp.size());
  if (host.rfind("[::1]:", 0) == 0) return true;
  size_t colon = host.rfind(':');
  if (colon == std::string::npos) return false;
  host.resize(colon);
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

Status CheckListenPolicy(const std::string& endpoint, bool encrypted, bool insecure) {
  if (encrypted || IsLoopbackEndpoint(endpoint)) return Status::Ok();
  if (!insecure) {
    return Status::PermissionDenied(
        "refusing to listen on " + endpoint +
        " without encryption: bind a loopback address, configure CURVE keys (--curve-key and "
        "--allow), or pass "
        "--insecure to accept unauthenticated plaintext traffic");
  }
  spdlog::warn("listening on {} WITHOUT encryption or authentication (--insecure)", endpoint);
  return Status::Ok();
}

}  // namespace sieve
