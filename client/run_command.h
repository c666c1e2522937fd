// `sieve run`: the whole pipeline on this machine. Starts a broker, a collector and N workers
// in this process (each on its own thread, talking ZeroMQ over loopback exactly as separate
// processes would), plus the bundled sieve-classifier on a free loopback port when no
// --endpoint is given; submits the job, shows progress, fetches the output, stops everything.
#pragma once

#include <string>

#include "client/job_control.h"
#include "client/submit.h"

namespace sieve {

struct RunOptions {
  std::string output;
  std::string data_dir;  // empty: a temporary directory, removed afterwards (kept when the
                         // job did not end with its output written, e.g. a budget stop)
  bool allow_shared_data_dir = false;  // run even if group/others can read data_dir
  int workers = 2;
  int concurrency = 32;
  // Not null: messages and progress go to it, and it can cancel the run (client/job_control.h);
  // the output's preview is not printed. A cancelled run's job is cancelled at its broker and
  // a temporary data directory is removed.
  JobControl* control = nullptr;
};

// Returns the CLI exit code (client/exit_codes.h). The output path is checked before anything
// starts. With a data directory that holds an unfinished job of an earlier run, the run
// continues that job when it is the same run (same inputs and options but the budget), and is
// refused (exit 2, saying what differs) when it is not (client/run_resume.h). When the job
// was submitted but its output was not written (disk full, permissions changed, the job
// failed, a budget stop), the data directory is kept, even a temporary one, and the message
// names it with the command that gets the output (`sieve fetch JOB -o OUTPUT --data-dir DIR`)
// or carries on (the same `sieve run` with a larger budget and --data-dir DIR).
int RunCommand(JobRequest request, const RunOptions& options);

// `sieve fetch JOB -o OUTPUT --data-dir DIR`: fetches a finished job of a `sieve run` from the
// data directory it left, by starting its broker and collector (no workers, nothing is sent to
// any endpoint) on loopback in this process. Returns the CLI exit code; 2 when DIR is not a
// data directory of `sieve run` or the job is unknown there.
int FetchFromDataDirCommand(const std::string& data_dir, const std::string& job_id,
                            const std::string& output);

}  // namespace sieve
