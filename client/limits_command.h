// `sieve limits [--json]`: the broker's limit keys (LIMITS, docs/limits.md): each key's
// limits, its requests granted over the last minute, its pauses and 429s, and the jobs using
// it. Also the parsing of the job flags --rate / --token-rate, checked before a job is sent.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "client/commands.h"
#include "client/peer_connection.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

// Exit codes: 0 listed, 3 no broker.
int LimitsCommand(const ClientOptions& client);

// The broker's limit keys by the jobs using them (LIMITS), for `sieve status`; empty when no
// job is rate-limited or the broker does not answer.
std::map<std::string, proto::LimitInfo> LimitsByJob(PeerConnection& broker);

// One key as `sieve limits --json` and `sieve status --json` show it.
nlohmann::json LimitJson(const proto::LimitInfo& key);

// "limit KEY: 1200/min, tokens 90000/min; 1180 granted last minute; paused 900 ms (3 pauses,
// 5 429s)", the line `sieve status` prints under a rate-limited job.
std::string LimitLine(const proto::LimitInfo& key);

// InvalidArgument naming --rate or --token-rate when one is set and does not parse.
Status CheckRateFlags(const proto::JobSpec& spec);

}  // namespace sieve
