#include "client/cache_command.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <thread>

#include "client/exit_codes.h"
#include "client/peer_connection.h"

namespace sieve {
namespace {

constexpr auto kReplyTimeout = std::chrono::milliseconds(10'000);

int Fail(const Status& status) {
  std::fprintf(stderr, "sieve: %s\n", status.message().c_str());
  return ExitCodeFor(status);
}

// The collector the broker knows now, asking for up to ~5 s (it may be registering).
Result<std::pair<std::string, std::string>> FindCollector(PeerConnection& broker) {
  for (int tries = 0; tries < 25; ++tries) {
    uint64_t id = broker.NextRequestId();
    proto::StatusQuery query;
    query.request_id = id;
    Result<proto::Message> reply = broker.Call(query, id, kReplyTimeout);
    if (!reply.ok()) return reply.status();
    const auto& status = std::get<proto::StatusReply>(*reply);
    if (!status.collector.empty()) {
      return std::pair{status.collector, status.collector_public_key};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::Unavailable("the broker knows no collector (is sieve-collector running?)");
}

}  // namespace

Result<uint64_t> ParseAge(const std::string& text) {
  if (text.size() < 2) return Status::InvalidArgument("--older-than: give e.g. 7d, 12h, 30m");
  const char unit = text.back();
  uint64_t scale = unit == 's' ? 1000 : unit == 'm' ? 60'000 : unit == 'h' ? 3'600'000
                 : unit == 'd' ? 86'400'000 : 0;
  std::string number = text.substr(0, text.size() - 1);
  if (scale == 0 || number.find_first_not_of("0123456789") != std::string::npos ||
      number.size() > 9) {
    return Status::InvalidArgument("--older-than '" + text +
                                   "': give a whole number and a unit s, m, h or d (7d)");
  }
  uint64_t n = std::stoull(number);
  if (n == 0) return Status::InvalidArgument("--older-than must be more than 0");
  return n * scale;
}

int CacheCommand(const ClientOptions& client, const CacheCommandOptions& options) {
  proto::CacheAdmin admin;
  admin.action = options.clear ? proto::kCacheClear : proto::kCacheStats;
  if (!options.older_than.empty()) {
    Result<uint64_t> age = ParseAge(options.older_than);
    if (!age.ok()) {
      std::fprintf(stderr, "sieve: %s\n", age.status().message().c_str());
      return kExitUsage;
    }
    admin.older_than_ms = *age;
  }
  zmq::context_t context;
  Result<PeerConnection> broker = PeerConnection::Connect(context, client.broker, client.curve,
                                                          client.curve.broker_public_key);
  if (!broker.ok()) return Fail(broker.status());
  Result<std::pair<std::string, std::string>> where = FindCollector(*broker);
  if (!where.ok()) return Fail(where.status());
  Result<PeerConnection> collector =
      PeerConnection::Connect(context, where->first, client.curve, where->second);
  if (!collector.ok()) return Fail(collector.status());
  admin.request_id = collector->NextRequestId();
  Result<proto::Message> reply = collector->Call(admin, admin.request_id, kReplyTimeout);
  if (!reply.ok()) return Fail(reply.status());
  const auto* r = std::get_if<proto::CacheAdminReply>(&*reply);
  if (r == nullptr) return Fail(Status::Corrupt("the collector answered CACHE_ADMIN oddly"));
  if (client.json) {
    nlohmann::json out = {{"entries", r->entries},     {"bytes", r->bytes},
                          {"max_bytes", r->max_bytes}, {"hits", r->hits},
                          {"misses", r->misses},       {"waits", r->waits},
                          {"evictions", r->evictions}};
    if (options.clear) out["removed"] = r->removed;
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (options.clear) {
    std::printf("removed %llu entries\n", static_cast<unsigned long long>(r->removed));
  }
  std::printf("entries   %llu\nbytes     %llu (max %llu, whole cache)\nhits      %llu\n"
              "misses    %llu\nwaits     %llu\nevictions %llu\n",
              static_cast<unsigned long long>(r->entries),
              static_cast<unsigned long long>(r->bytes),
              static_cast<unsigned long long>(r->max_bytes),
              static_cast<unsigned long long>(r->hits),
              static_cast<unsigned long long>(r->misses),
              static_cast<unsigned long long>(r->waits),
              static_cast<unsigned long long>(r->evictions));
  return kExitOk;
}

}  // namespace sieve
