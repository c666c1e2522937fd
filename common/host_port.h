// HostPort: a TCP listen address given on the command line as "HOST:PORT".
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

struct HostPort {
  std::string host;
  int port = 0;  // 0: the kernel picks a free port
};

// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (host 127.0.0.1). PORT is 0..65535.
// InvalidArgument naming the text otherwise.
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace sieve
