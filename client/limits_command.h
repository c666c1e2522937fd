// `sieve limits [--json]`: the broker's limit keys (LIMITS, docs/limits.md): each key's
// limits, its requests granted over the last minute, its pauses and 429s, and the jobs using
// it. Also the parsing of the job flags --rate / --token-rate, checked before a job is sent.
#pragma once

#include "client/commands.h"
#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

// Exit codes: 0 listed, 3 no broker.
int LimitsCommand(const ClientOptions& client);

// InvalidArgument naming --rate or --token-rate when one is set and does not parse.
Status CheckRateFlags(const proto::JobSpec& spec);

}  // namespace sieve
