// `sieve resume JOB`: asks the broker to carry on with a job held back by something the client
// can undo (RESUME, docs/protocol.md): the job's credential headers, which the broker keeps in
// memory only and so loses when it restarts (`--header` gives them again, the same way as at
// submit); or the job's budget (`--max-cost` / `--max-tokens` set it, and a budget_exhausted
// job carries on). A job held back by nothing is left as it is ("nothing to resume").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/commands.h"

namespace sieve {

struct ResumeOptions {
  std::vector<std::string> headers;  // SECRET: the job's credential headers again
  std::optional<std::string> max_cost;   // a new budget; absent: unchanged
  std::optional<uint64_t> max_tokens;
};

// Exit codes: 0 resumed or nothing to resume (the message says which), 1 refused (e.g. a
// header still missing), 2 a --max-cost that is not an amount, 3 no broker.
int ResumeCommand(const ClientOptions& client, const std::string& job_id,
                  const ResumeOptions& options);

}  // namespace sieve
