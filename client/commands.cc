#include "client/commands.h"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/broker_request.h"
#include "client/exit_codes.h"
#include "client/job_watch.h"
#include "client/limits_command.h"
#include "client/output_path.h"
#include "client/peer_connection.h"
#include "client/progress.h"
#include "common/csv_record.h"
#include "common/file_util.h"
#include "common/record_format.h"
#include "common/token_price.h"
#include "proto/status_json.h"

namespace sieve {
namespace {

// The exit code of a job that has ended (or stopped at its budget).
// `budget_hint`: WaitOptions::budget_hint. Messages go to `control` when not null.
int JobExitCode(const proto::JobStatus& status, const std::string& budget_hint,
                JobControl* control) {
  if (status.state == proto::JobState::kBudgetExhausted) {
    const std::string hint =
        !budget_hint.empty()
            ? budget_hint
            : "sieve resume " + status.job_id +
                  (status.max_cost.empty() ? " --max-tokens MORE" : " --max-cost MORE");
    Tell(control,
         "sieve: job %s stopped at its budget after %llu of %llu rows (%s).\n"
         "sieve: nothing was lost and no row was labelled as an error; to carry on, "
         "raise the budget: %s\n",
         status.job_id.c_str(), static_cast<unsigned long long>(status.done_rows),
         static_cast<unsigned long long>(status.total_rows), status.message.c_str(), hint.c_str());
    return kExitBudgetExhausted;
  }
  if (status.state == proto::JobState::kPaused) {
    Tell(control,
         "sieve: job %s paused after %llu of %llu rows: %s\n"
         "sieve: nothing was lost and no row was labelled as an error; once the "
         "endpoint accepts the job again (e.g. a valid key), carry on: sieve resume %s\n",
         status.job_id.c_str(), static_cast<unsigned long long>(status.done_rows),
         static_cast<unsigned long long>(status.total_rows), status.message.c_str(),
         status.job_id.c_str());
    return kExitPaused;
  }
  if (status.state != proto::JobState::kDone) {
    // A failed job says why (a canary quotes the endpoint's answer).
    std::string why = status.message.empty() ? "" : ": " + status.message;
    Tell(control, "sieve: job %s %s%s\n", status.job_id.c_str(),
         std::string(proto::EnumName(status.state)).c_str(), why.c_str());
    if (why.rfind(": canary:", 0) == 0) {
      Tell(control,
           "sieve: the endpoint refused the job's first rows the same way, so no other "
           "row was sent; fix the job's options and submit it again\n");
    }
    return kExitJobFailed;
  }
  if (status.error_rows > 0) {
    Tell(control, "sieve: job %s finished with %llu failed rows (see the errors report)\n",
         status.job_id.c_str(), static_cast<unsigned long long>(status.error_rows));
    return kExitJobFailed;
  }
  return kExitOk;
}

// "  tokens: prompt P, completion C; cost X" under a job that used tokens (LLM endpoints).
void PrintUsageLine(const proto::JobStatus& s, JobControl* control) {
  if (s.cached_rows > 0) {  // the result cache (docs/architecture.md)
    Print(control, "  cached rows: %llu (answered from the result cache, not sent)\n",
          static_cast<unsigned long long>(s.cached_rows));
  }
  if (s.prompt_tokens + s.completion_tokens == 0) return;
  Print(control, "  tokens: prompt %llu, completion %llu",
        static_cast<unsigned long long>(s.prompt_tokens),
        static_cast<unsigned long long>(s.completion_tokens));
  Result<TokenPrice> price = s.price.empty() ? Result<TokenPrice>(Status::NotFound("no price"))
                                             : ParseTokenPrice(s.price);
  if (price.ok()) Print(control, "; cost %.6g", price->Cost(s.prompt_tokens, s.completion_tokens));
  Print(control, "\n");
}

// One line per member of the job's endpoint pool: how its requests ended, and how many workers
// rest it now (docs/architecture.md, "The endpoint pool").
void PrintEndpointLines(const proto::JobStatus& s, JobControl* control) {
  for (const proto::EndpointCounts& e : s.endpoints) {
    Print(control, "  endpoint %s: %llu answered, %llu failed, %llu rate limited, %llu refused",
          e.endpoint.c_str(), static_cast<unsigned long long>(e.answered),
          static_cast<unsigned long long>(e.failed),
          static_cast<unsigned long long>(e.rate_limited),
          static_cast<unsigned long long>(e.refused));
    if (e.cooling > 0)
      Print(control, " (cooling down on %u worker%s)", e.cooling, e.cooling == 1 ? "" : "s");
    Print(control, "\n");
  }
}

// Says why the output of the finished job could not be written and how to fetch it again.
void PrintKeptResults(const ClientOptions& client, const std::string& job_id,
                      const std::string& output, const std::string& fetch_flags,
                      const Status& why) {
  std::string flags = fetch_flags.empty() ? "--broker " + ShellQuote(client.broker) : fetch_flags;
  Tell(client.control,
       "sieve: job %s is done, but its output could not be written: %s\n"
       "sieve: no partial output was left; the results are kept at the collector, so "
       "nothing needs to be sent again. Once there is room (or with another -o), fetch "
       "them with:\n  sieve fetch %s -o %s %s%s\n",
       job_id.c_str(), why.message().c_str(), job_id.c_str(), ShellQuote(output).c_str(),
       flags.c_str(),
       client.curve.enabled() ? "  (with this command's --curve-key and --broker-key)" : "");
}

// The exit code of a fetch that failed with `status` after the job was done.
int FetchFailedExitCode(const Status& status) {
  int code = ExitCodeFor(status);
  return code == kExitOk ? kExitJobFailed : code;
}

}  // namespace

JobOutcome FollowJob(zmq::context_t& context, const ClientOptions& client, PeerConnection& broker,
                     const std::string& job_id, const WaitOptions& wait) {
  JobOutcome outcome{kExitOk, job_id, false};
  ProgressReporter progress(stderr, ::isatty(STDERR_FILENO) != 0);
  Result<proto::JobStatus> status =
      WaitForJob(broker, job_id, client.control == nullptr ? &progress : nullptr, client.control);
  if (!status.ok()) {
    outcome.exit_code = FailCommand(status.status(), client.control);
    return outcome;
  }
  if (!wait.output.empty() && status->state == proto::JobState::kDone) {
    Status fetched = FetchOutput(context, *status, wait.output, client.curve);
    if (!fetched.ok()) {
      PrintKeptResults(client, job_id, wait.output, wait.fetch_flags, fetched);
      outcome.exit_code = FetchFailedExitCode(fetched);
      return outcome;
    }
    outcome.output_written = true;
    Tell(client.control, "sieve: output written to %s\n", wait.output.c_str());
  }
  outcome.exit_code = JobExitCode(*status, wait.budget_hint, client.control);
  return outcome;
}

JobOutcome SubmitAndFollow(const ClientOptions& client, const JobRequest& request,
                           const WaitOptions& wait) {
  JobOutcome outcome;
  Status valid = wait.wait && !wait.output.empty() ? CheckOutputPath(wait.output, request.inputs)
                                                   : Status::Ok();
  if (valid.ok()) valid = ValidateInputs(request);
  if (!valid.ok()) {
    outcome.exit_code = FailCommand(valid, client.control);
    return outcome;
  }
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) {
    outcome.exit_code = FailCommand(broker.status(), client.control);
    return outcome;
  }
  // A cancel asked for while uploading stops the upload (SubmitJob cancels the job).
  auto on_chunk = [&client](uint64_t) {
    return client.control != nullptr && client.control->cancel_requested()
               ? Status::Cancelled("cancelled while uploading (interrupted)")
               : Status::Ok();
  };
  Result<SubmittedJob> job = SubmitJob(*broker, request, on_chunk);
  if (!job.ok()) {
    outcome.exit_code = FailCommand(job.status(), client.control);
    return outcome;
  }
  Print(client.control, "%s\n", job->job_id.c_str());
  Tell(client.control, "sieve: job %s submitted: %llu rows in %llu chunks\n", job->job_id.c_str(),
       static_cast<unsigned long long>(job->rows), static_cast<unsigned long long>(job->chunks));
  if (!wait.wait) return JobOutcome{kExitOk, job->job_id, false};
  return FollowJob(context, client, *broker, job->job_id, wait);
}

int SubmitCommand(const ClientOptions& client, const JobRequest& request, const WaitOptions& wait) {
  return SubmitAndFollow(client, request, wait).exit_code;
}

int StatusCommand(const ClientOptions& client, const std::string& job_id) {
  JobControl* control = client.control;
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status(), control);
  uint64_t id = broker->NextRequestId();
  proto::StatusQuery query{id, job_id.empty() ? std::nullopt : std::optional(job_id)};
  Result<proto::Message> reply = broker->Call(std::move(query), id, kBrokerReplyTimeout);
  if (!reply.ok()) return FailCommand(reply.status(), control);
  const auto& jobs = std::get<proto::StatusReply>(*reply).jobs;
  // Rate-limited jobs show their limit key (docs/limits.md).
  const std::map<std::string, proto::LimitInfo> limits = LimitsByJob(*broker);
  if (client.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const proto::JobStatus& s : jobs) {
      out.push_back(proto::ToJson(s));
      if (auto key = limits.find(s.job_id); key != limits.end()) {
        out.back()["limit"] = LimitJson(key->second);
      }
    }
    Print(control, "%s\n", (job_id.empty() ? out : out.at(0)).dump(2).c_str());
    return kExitOk;
  }
  Print(control, "%-18s %-16s %12s %12s %9s  %s\n", "JOB", "STATE", "DONE", "TOTAL", "ERRORS",
        "NAME");
  for (const proto::JobStatus& s : jobs) {
    // A job held back says why in its state column ("waiting_for_secret").
    std::string state = s.waiting_for.empty() ? std::string(proto::EnumName(s.state))
                                              : "waiting_for_" + s.waiting_for;
    Print(control, "%-18s %-16s %12llu %12llu %9llu  %s\n", s.job_id.c_str(), state.c_str(),
          static_cast<unsigned long long>(s.done_rows),
          static_cast<unsigned long long>(s.total_rows),
          static_cast<unsigned long long>(s.error_rows), s.name.c_str());
    PrintUsageLine(s, control);
    if (auto key = limits.find(s.job_id); key != limits.end()) {
      Print(control, "  %s\n", LimitLine(key->second).c_str());
    }
    PrintEndpointLines(s, control);
    // The message says why a job waits, and its budget against its usage.
    const bool budget_stop = s.state == proto::JobState::kBudgetExhausted ||
                             s.state == proto::JobState::kPaused;
    if ((!job_id.empty() || budget_stop) && !s.message.empty()) {
      Print(control, "  %s\n", s.message.c_str());
    }
  }
  return kExitOk;
}

int WaitCommand(const ClientOptions& client, const std::string& job_id,
                const std::string& output) {
  if (!output.empty()) {
    Status writable = CheckOutputPath(output);
    if (!writable.ok()) return FailCommand(writable, client.control);
  }
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status(), client.control);
  return FollowJob(context, client, *broker, job_id, WaitOptions{true, output, "", ""}).exit_code;
}

int CancelCommand(const ClientOptions& client, const std::string& job_id) {
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status(), client.control);
  Status cancelled = CancelJob(*broker, job_id);
  if (!cancelled.ok()) return FailCommand(cancelled, client.control);
  Tell(client.control, "sieve: job %s cancelled\n", job_id.c_str());
  return kExitOk;
}

int FetchCommand(const ClientOptions& client, const std::string& job_id, const std::string& output,
                 const std::string& fetch_flags) {
  Status writable = CheckOutputPath(output);
  if (!writable.ok()) return FailCommand(writable, client.control);
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status(), client.control);
  Result<proto::JobStatus> status = QueryJob(*broker, job_id);
  if (!status.ok()) return FailCommand(status.status(), client.control);
  Status fetched = FetchOutput(context, *status, output, client.curve);
  if (!fetched.ok() && status->state != proto::JobState::kDone) {
    return FailCommand(fetched, client.control);
  }
  if (!fetched.ok()) {
    PrintKeptResults(client, job_id, output, fetch_flags, fetched);
    return FetchFailedExitCode(fetched);
  }
  Tell(client.control, "sieve: output written to %s\n", output.c_str());
  return kExitOk;
}

int WorkersCommand(const ClientOptions& client) {
  zmq::context_t context;
  Result<PeerConnection> broker = ConnectBroker(context, client);
  if (!broker.ok()) return FailCommand(broker.status());
  uint64_t id = broker->NextRequestId();
  Result<proto::Message> reply = broker->Call(proto::WorkersQuery{id}, id, kBrokerReplyTimeout);
  if (!reply.ok()) return FailCommand(reply.status());
  const auto& workers = std::get<proto::WorkersReply>(*reply).workers;
  if (client.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const proto::WorkerInfo& w : workers) {
      out.push_back(proto::ToJson(w));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-24s %6s %6s %10s %12s\n", "WORKER", "CREDIT", "LEASES", "SEEN(ms)", "ROWS");
  for (const proto::WorkerInfo& w : workers) {
    std::printf("%-24s %6u %6u %10llu %12llu\n", w.name.c_str(), w.credit, w.leases,
                static_cast<unsigned long long>(w.last_heartbeat_age_ms),
                static_cast<unsigned long long>(w.rows_done));
  }
  return kExitOk;
}

std::string ShellQuote(const std::string& text) {
  if (!text.empty() &&
      text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "_./:@%+=,-") == std::string::npos) {
    return text;
  }
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void PrintOutputPreview(const std::string& output, int rows) {
  std::printf("Labelled output: %s\n", output.c_str());
  Result<std::string> head = ReadFileRange(output, 0, 1 << 20);
  if (!head.ok()) return;
  if (FormatFromPath(output) == RecordFormat::kJsonl) {  // one object a line: show the lines
    std::string_view rest = *head;
    for (int i = 0; i < rows && !rest.empty(); ++i) {
      std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      std::string shown(line.substr(0, 100));
      std::printf("  %s%s\n", shown.c_str(), line.size() > 100 ? "..." : "");
    }
    return;
  }
  // Records, not lines: quoted fields may hold newlines. Show the first and the last field.
  RecordIterator records(*head);
  RecordFields fields;
  std::string_view record;
  for (int i = 0; i <= rows; ++i) {
    Result<bool> more = records.Next(&record);
    if (!more.ok() || !*more || !ParseRecord(record, &fields).ok() || fields.size() < 2) break;
    std::string first(fields[0].substr(0, 60));
    std::printf("  %-62s %s\n", first.c_str(), std::string(fields[fields.size() - 1]).c_str());
  }
}


int KeygenCommand(const std::string& dir, const std::string& name) {
  Result<CurveKeyPair> pair = GenerateCurveKeyPair();
  if (!pair.ok()) return FailCommand(pair.status());
  Status written = WriteKeyPair(dir, name, *pair);
  if (!written.ok()) return FailCommand(written);
  std::fprintf(stderr, "sieve: wrote %s/%s.key (secret: keep it on this machine) and %s/%s.pub\n",
               dir.c_str(), name.c_str(), dir.c_str(), name.c_str());
  std::printf("%s\n", pair->public_key.c_str());
  return kExitOk;
}

}  // namespace sieve
