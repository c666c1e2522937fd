// `sieve cache stats [--json]` and `sieve cache clear [--older-than 7d]`: the result cache, as
// the collector keeps it (docs/architecture.md, "The result cache and dedupe"). Like `fetch`,
// the client asks the broker where the collector is (STATUS) and talks to the collector
// (CACHE_ADMIN). A client sees and clears only its own entries (its CURVE identity, or "local")
// and the shared namespace (the broker's --shared-cache).
#pragma once

#include <cstdint>
#include <string>

#include "client/commands.h"
#include "common/status.h"

namespace sieve {

struct CacheCommandOptions {
  bool clear = false;        // else stats
  std::string older_than;    // clear: "7d", "12h", "30m", "45s"; empty: everything
};

// "7d" -> ms. InvalidArgument for anything but a positive number with a unit s, m, h or d.
Result<uint64_t> ParseAge(const std::string& text);

int CacheCommand(const ClientOptions& client, const CacheCommandOptions& options);

}  // namespace sieve
