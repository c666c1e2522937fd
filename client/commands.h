// The `sieve` subcommands, each a function from parsed options to an exit code. main.cc only
// wires CLI11 to these; tests call them through the real executable.
#pragma once

#include <string>
#include <vector>

#include "client/job_control.h"
#include "client/peer_connection.h"
#include "client/submit.h"
#include "net/curve.h"

namespace sieve {

struct ClientOptions {
  std::string broker;  // resolved: --broker, else $SIEVE_BROKER, else kDefaultBroker
  bool json = false;
  CurveConfig curve;  // CURVE keys (--curve-key, --broker-key); off when empty
  // Not null: the commands' messages, output and progress go to it, and it can cancel the
  // job being followed (client/job_control.h). Null: stderr and stdout, as the CLI.
  JobControl* control = nullptr;
};

inline constexpr const char* kDefaultBroker = "tcp://127.0.0.1:7400";

struct WaitOptions {
  bool wait = false;
  std::string output;  // fetch the output here after waiting (optional)
  // How the `sieve fetch` command printed when the output cannot be written reaches the
  // job's collector: extra flags (e.g. "--data-dir D" for `sieve run`). Empty: --broker.
  std::string fetch_flags;
  // What the message after a budget stop tells the user to do to carry on. Empty:
  // `sieve resume JOB --max-cost MORE` (`sieve run` says to run its command again).
  std::string budget_hint;
};

// What became of a submitted job (SubmitAndFollow).
struct JobOutcome {
  int exit_code = 0;
  std::string job_id;           // empty when no job was submitted
  bool output_written = false;  // the output (and files beside it) are in place
};

// Checks the output path (when waiting for an output) and the inputs, submits the job and,
// with wait.wait, follows it to its end and fetches its output. When the job is done but its
// output cannot be written, the results stay at the collector and the message gives the
// `sieve fetch` command that gets them. Messages go to stderr, the job id to stdout.
JobOutcome SubmitAndFollow(const ClientOptions& client, const JobRequest& request,
                           const WaitOptions& wait);
// Follows the submitted job `job_id` to its end on `broker` and, with wait.output, fetches
// its output, as SubmitAndFollow does after submitting.
JobOutcome FollowJob(zmq::context_t& context, const ClientOptions& client,
                     PeerConnection& broker, const std::string& job_id, const WaitOptions& wait);
int SubmitCommand(const ClientOptions& client, const JobRequest& request, const WaitOptions& wait);
int StatusCommand(const ClientOptions& client, const std::string& job_id);  // empty: all jobs
int WaitCommand(const ClientOptions& client, const std::string& job_id, const std::string& output);
int CancelCommand(const ClientOptions& client, const std::string& job_id);
// `fetch_flags`: as WaitOptions::fetch_flags, for the command printed when writing fails.
int FetchCommand(const ClientOptions& client, const std::string& job_id, const std::string& output,
                 const std::string& fetch_flags = "");
int WorkersCommand(const ClientOptions& client);
// Writes DIR/NAME.key (secret, 0600) and DIR/NAME.pub and prints the public key.
int KeygenCommand(const std::string& dir, const std::string& name);

// `text` quoted for a POSIX shell when it needs to be (for the commands messages print).
std::string ShellQuote(const std::string& text);

// Prints where the output is and its first rows (what `sieve run` shows at the end).
void PrintOutputPreview(const std::string& output, int rows);

}  // namespace sieve
