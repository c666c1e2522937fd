// The `sieve` subcommands, each a function from parsed options to an exit code. main.cc only
// wires CLI11 to these; tests call them through the real executable.
#pragma once

#include <string>
#include <vector>

#include "client/submit.h"
#include "net/curve.h"

namespace sieve {

struct ClientOptions {
  std::string broker;  // resolved: --broker, else $SIEVE_BROKER, else kDefaultBroker
  bool json = false;
  CurveConfig curve;  // CURVE keys (--curve-key, --broker-key); off when empty
};

inline constexpr const char* kDefaultBroker = "tcp://127.0.0.1:7400";

struct WaitOptions {
  bool wait = false;
  std::string output;  // fetch the output here after waiting (optional)
};

int SubmitCommand(const ClientOptions& client, const JobRequest& request, const WaitOptions& wait);
int StatusCommand(const ClientOptions& client, const std::string& job_id);  // empty: all jobs
int WaitCommand(const ClientOptions& client, const std::string& job_id, const std::string& output);
int CancelCommand(const ClientOptions& client, const std::string& job_id);
int FetchCommand(const ClientOptions& client, const std::string& job_id, const std::string& output);
int WorkersCommand(const ClientOptions& client);
// Writes DIR/NAME.key (secret, 0600) and DIR/NAME.pub and prints the public key.
int KeygenCommand(const std::string& dir, const std::string& name);

// Prints where the output is and its first rows (what `sieve run` shows at the end).
void PrintOutputPreview(const std::string& output, int rows);

}  // namespace sieve
