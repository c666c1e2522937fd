#include "common/host_port.h"

#include <charconv>

namespace sieve {

Result<HostPort> ParseHostPort(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("listen address '" + std::string(text) + "' is not HOST:PORT");
  }
  HostPort address;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  address.host = host.empty() ? "127.0.0.1" : std::string(host);
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || address.port < 0 ||
      address.port > 65535) {
    return Status::InvalidArgument("listen address '" + std::string(text) +
                                   "' has a bad port (0..65535)");
  }
  return address;
}

}  // namespace sieve
