// The `sieve` command line: CLI11 wired to the subcommands in client/commands.h and
// client/run_command.h. The `sieve` program is RunCli on its arguments; the Python module
// (python/) runs the same commands with the same flags through it, on a thread of its own.
#pragma once

#include "client/job_control.h"

namespace sieve {

// Parses `argv` (argv[0] is the program name) as `sieve` does and runs the subcommand.
// Returns the CLI exit code (client/exit_codes.h). With `control` (may be null), everything the
// command would print, parse errors and --help included, goes to it, and it can cancel the job
// the command follows (client/job_control.h).
// Thread-safety: calls share no state (each has its own ZeroMQ context and, for `run`, its own
// pipeline), so several may run at once on different threads.
int RunCli(int argc, const char* const* argv, JobControl* control);

}  // namespace sieve
