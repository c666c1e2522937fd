#include "client/limits_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/exit_codes.h"
#include "client/broker_request.h"
#include "common/rate.h"

namespace sieve {

Status CheckRateFlags(const proto::JobSpec& spec) {
  for (auto [text, flag] : {std::pair{&spec.rate, "--rate"},
                            std::pair{&spec.token_rate, "--token-rate"}}) {
    if (text->empty()) continue;
    Result<Rate> rate = ParseRate(*text);
    if (!rate.ok()) return Status::InvalidArgument(std::string(flag) + ": " + rate.status().message());
  }
  return Status::Ok();
}

std::map<std::string, proto::LimitInfo> LimitsByJob(PeerConnection& broker) {
  std::map<std::string, proto::LimitInfo> by_job;
  uint64_t id = broker.NextRequestId();
  Result<proto::Message> reply = broker.Call(proto::LimitsQuery{id}, id, kBrokerReplyTimeout);
  if (!reply.ok() || !std::holds_alternative<proto::LimitsReply>(*reply)) return by_job;
  for (const proto::LimitInfo& key : std::get<proto::LimitsReply>(*reply).keys) {
    for (const std::string& job : key.jobs) by_job.emplace(job, key);
  }
  return by_job;
}

nlohmann::json LimitJson(const proto::LimitInfo& k) {
  return {{"key", k.key},
          {"rate", k.rate},
          {"token_rate", k.token_rate},
          {"granted_last_minute", k.granted_last_minute},
          {"paused_ms", k.paused_ms},
          {"pauses", k.pauses},
          {"rate_limited", k.rate_limited},
          {"granted", k.granted},
          {"jobs", k.jobs}};
}

std::string LimitLine(const proto::LimitInfo& k) {
  std::string line = "limit " + k.key + ": " + (k.rate.empty() ? "no request limit" : k.rate);
  if (!k.token_rate.empty()) line += ", tokens " + k.token_rate;
  line += "; " + std::to_string(k.granted_last_minute) + " granted last minute";
  if (k.paused_ms > 0) line += "; paused " + std::to_string(k.paused_ms) + " ms";
  if (k.pauses > 0 || k.rate_limited > 0) {
    line += " (" + std::to_string(k.pauses) + " pauses, " + std::to_string(k.rate_limited) +
            " 429s)";
  }
  return line;
}

int LimitsCommand(const ClientOptions& client) {
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status());
  uint64_t id = broker->NextRequestId();
  Result<proto::Message> reply =
      broker->Call(proto::LimitsQuery{id}, id, kBrokerReplyTimeout);
  if (!reply.ok()) return FailCommand(reply.status());
  const auto& keys = std::get<proto::LimitsReply>(*reply).keys;
  if (client.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const proto::LimitInfo& k : keys) out.push_back(LimitJson(k));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-20s %12s %14s %10s %10s %7s %6s %s\n", "KEY", "RATE", "TOKEN_RATE", "LAST_MIN",
              "PAUSED(ms)", "PAUSES", "429S", "JOBS");
  for (const proto::LimitInfo& k : keys) {
    std::string jobs;
    for (const std::string& j : k.jobs) jobs += (jobs.empty() ? "" : ",") + j;
    std::printf("%-20s %12s %14s %10llu %10llu %7llu %6llu %s\n", k.key.c_str(),
                k.rate.empty() ? "-" : k.rate.c_str(),
                k.token_rate.empty() ? "-" : k.token_rate.c_str(),
                static_cast<unsigned long long>(k.granted_last_minute),
                static_cast<unsigned long long>(k.paused_ms),
                static_cast<unsigned long long>(k.pauses),
                static_cast<unsigned long long>(k.rate_limited), jobs.c_str());
  }
  return kExitOk;
}

}  // namespace sieve
