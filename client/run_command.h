// `sieve run`: the whole pipeline on this machine. Starts a broker, a collector and N workers
// in this process (each on its own thread, talking ZeroMQ over loopback exactly as separate
// processes would), plus the bundled sieve-classifier on a free loopback port when no
// --endpoint is given; submits the job, shows progress, fetches the output, stops everything.
#pragma once

#include <string>

#include "client/submit.h"

namespace sieve {

struct RunOptions {
  std::string output;
  std::string data_dir;  // empty: a temporary directory, removed afterwards
  bool allow_shared_data_dir = false;  // run even if group/others can read data_dir
  int workers = 2;
  int concurrency = 32;
};

// Returns the CLI exit code (client/exit_codes.h).
int RunCommand(JobRequest request, const RunOptions& options);

}  // namespace sieve
