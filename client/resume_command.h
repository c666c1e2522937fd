// `sieve resume JOB`: asks the broker to carry on with a job held back by something the client
// can undo (RESUME, docs/protocol.md). Today: the job's credential headers, which the broker
// keeps in memory only and so loses when it restarts; `--header` gives them again (the same
// way as at submit). A job held back by nothing is left as it is ("nothing to resume").
#pragma once

#include <string>
#include <vector>

#include "client/commands.h"

namespace sieve {

// Exit codes: 0 resumed or nothing to resume (the message says which), 1 refused (e.g. a
// header still missing), 3 no broker.
int ResumeCommand(const ClientOptions& client, const std::string& job_id,
                  const std::vector<std::string>& headers);

}  // namespace sieve
