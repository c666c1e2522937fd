#include "client/cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <sstream>

#include "client/cache_command.h"
#include "client/commands.h"
#include "client/endpoint_flags.h"
#include "client/exit_codes.h"
#include "client/limits_command.h"
#include "client/llm_spec.h"
#include "client/resume_command.h"
#include "client/retry_command.h"
#include "client/run_command.h"
#include "common/config.h"
#include "common/header_secrets.h"
#include "net/security_flags.h"
#include "proto/constants.h"

namespace {

// Flags shared by `run` and `submit` that describe the job.
struct JobFlags {
  sieve::JobRequest request;
  double timeout_s = 15;
  double connect_timeout_s = 5;
  std::string body_template;  // inline JSON or @path (client/llm_spec.h)
  std::string input_format;   // csv|jsonl; empty: from the first input's name
  std::string output_format;  // csv|jsonl; empty: from -o's name, else the input's
  bool no_canary = false;     // --no-canary
  sieve::EndpointFlags endpoints;  // --endpoint (repeatable), --endpoints-file
};

void AddEndpointFlags(CLI::App* cmd, JobFlags& flags, const std::string& what) {
  cmd->add_option("--endpoint", flags.endpoints.endpoints,
                  what + "; repeat it for a pool of replicas that take the same requests");
  cmd->add_option("--endpoints-file", flags.endpoints.endpoints_file,
                  "Endpoint pool: a file of URLs, one per line (# comments)");
}

void AddJobFlags(CLI::App* cmd, JobFlags& flags) {
  sieve::proto::JobSpec& spec = flags.request.spec;
  cmd->add_option("inputs", flags.request.inputs,
                  "Input CSV files (one shared header) or JSON Lines files (one object a line)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--chunk-rows", flags.request.chunk_rows, "Rows per chunk")
      ->capture_default_str();
  cmd->add_option("--chunk-bytes", flags.request.chunk_bytes,
                  "Bytes per chunk at most (a longer row is a chunk alone); units: 512KiB, 4MiB")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("4MiB");
  cmd->add_option("--fields", spec.fields, "Columns sent in each request (default: all)")
      ->delimiter(',');
  cmd->add_option("--label-field", spec.label_field,
                  "Response field holding the label: a key or a JSON pointer (/result/label)")
      ->capture_default_str();
  cmd->add_option("--label-column", spec.label_column, "Name of the output column added")
      ->capture_default_str();
  cmd->add_option("--error-label", spec.error_label, "Label of rows that failed")
      ->capture_default_str();
  cmd->add_option("--timeout", flags.timeout_s, "Per-request timeout in seconds")
      ->capture_default_str();
  cmd->add_option("--connect-timeout", flags.connect_timeout_s, "Connect timeout in seconds")
      ->capture_default_str();
  cmd->add_option("--retries", spec.retries, "Retries per row on transient failures")
      ->capture_default_str();
  cmd->add_option("--header", spec.headers,
                  "Extra HTTP header 'Name: value' (repeatable; never logged). A value may "
                  "name a worker's secret instead: ${secret:NAME}");
  cmd->add_option("--secret-header", spec.secret_headers,
                  "Header name that holds a credential (besides Authorization, "
                  "Proxy-Authorization, X-Api-Key, Api-Key): the broker keeps it in memory only");
  cmd->add_option("--batch-size", spec.batch_size, "Rows per request (JSON array endpoint)")
      ->capture_default_str();
  cmd->add_option("--max-attempts", spec.max_attempts,
                  "Leases of a chunk before its rows are labelled as errors")
      ->capture_default_str();
  cmd->add_option("--name", spec.name, "Job name shown in status listings");
  cmd->add_option("--body-template", flags.body_template,
                  "Request body: JSON with {{column}} placeholders, inline or @file (docs/llm.md)");
  cmd->add_option("--labels", spec.labels, "Allowed labels (a,b,c): answers are normalised to one")
      ->delimiter(',');
  cmd->add_option("--invalid-retries", spec.invalid_retries,
                  "Re-asks of an answer that is not one of --labels")
      ->capture_default_str();
  cmd->add_option("--price", spec.price,
                  "PROMPT,COMPLETION price per million tokens, for the job's cost");
  cmd->add_flag("--no-canary", flags.no_canary,
                "Fan out at once: no canary (by default the first rows probe the endpoint "
                "alone, and a job the endpoint refuses fails before the rest is sent)");
  cmd->add_option("--max-cost", spec.max_cost,
                  "Stop handing out rows before the job's cost (with --price) could pass AMOUNT "
                  "(exit 4); `sieve resume`, or `sieve run` again with more, carries on");
  cmd->add_option("--max-tokens", spec.max_tokens,
                  "The same, counted in tokens (prompt + completion)");
  cmd->add_option("--rate", spec.rate,
                  "Requests per second or minute for the whole job, across every worker "
                  "(e.g. 600/min, 10/s; docs/limits.md)");
  cmd->add_option("--token-rate", spec.token_rate,
                  "Tokens per minute for the whole job (estimated, then corrected by usage)");
  cmd->add_option("--limit-key", spec.limit_key,
                  "Jobs naming the same key share one quota (default: the job alone)");
  cmd->add_flag("--no-cache", spec.no_cache,
                "Do not use the result cache (no lookup, no fill); rows repeated inside a chunk "
                "are still sent once");
  cmd->add_option("--input-format", flags.input_format,
                  "csv or jsonl (default: jsonl for *.jsonl and *.ndjson inputs, else csv)")
      ->check(CLI::IsMember({"csv", "jsonl", "ndjson"}));
  cmd->add_option("--output-format", flags.output_format,
                  "csv or jsonl (default: from the output's name, else the input's format)")
      ->check(CLI::IsMember({"csv", "jsonl", "ndjson"}));
}

// False (after saying why, to `control`: client/job_control.h) when --body-template @file
// cannot be read or a format is unknown.
bool FinishJobFlags(JobFlags& flags, const std::string& output, sieve::JobControl* control) {
  sieve::Status formats =
      sieve::ResolveFormats(&flags.request, flags.input_format, flags.output_format, output);
  if (!formats.ok()) {
    sieve::Tell(control, "sieve: %s\n", formats.message().c_str());
    return false;
  }
  sieve::Result<std::string> body_template = sieve::ReadBodyTemplateFlag(flags.body_template);
  if (!body_template.ok()) {
    sieve::Tell(control, "sieve: %s\n", body_template.status().message().c_str());
    return false;
  }
  flags.request.spec.body_template = std::move(body_template).value();
  const sieve::Status endpoints = sieve::ApplyEndpointFlags(flags.endpoints, &flags.request.spec);
  if (!endpoints.ok()) {
    sieve::Tell(control, "sieve: %s\n", endpoints.message().c_str());
    return false;
  }
  if (sieve::Status rates = sieve::CheckRateFlags(flags.request.spec); !rates.ok()) {
    sieve::Tell(control, "sieve: %s\n", rates.message().c_str());
    return false;
  }
  flags.request.spec.timeout_ms = static_cast<uint32_t>(flags.timeout_s * 1000);
  flags.request.spec.canary = !flags.no_canary;
  flags.request.spec.connect_timeout_ms = static_cast<uint32_t>(flags.connect_timeout_s * 1000);
  if (flags.request.spec.name.empty() && !flags.request.inputs.empty()) {
    flags.request.spec.name = flags.request.inputs.front();
  }
  return true;
}

}  // namespace

namespace sieve {

int RunCli(int argc, const char* const* argv, JobControl* control) {
  CLI::App app{
      "sieve: label every row of CSV files through an HTTP inference endpoint.\n"
      "Exit codes: 0 success, 1 job failed or had failed rows, 2 usage error, "
      "3 cannot reach the broker, 4 the job stopped at its budget (sieve resume)."};
  app.require_subcommand(1);
  sieve::ClientOptions client;
  client.control = control;
  const char* env_broker = std::getenv("SIEVE_BROKER");
  client.broker = env_broker != nullptr && *env_broker != '\0' ? env_broker : sieve::kDefaultBroker;
  sieve::SecurityFlags security;
  auto add_broker = [&](CLI::App* cmd) {
    cmd->add_option("--broker", client.broker, "Broker endpoint (default: $SIEVE_BROKER, then " +
                                                   std::string(sieve::kDefaultBroker) + ")");
    sieve::AddSecurityFlags(*cmd, security, {.connects_to_broker = true});
    for (const char* name : {"--curve-key", "--broker-key"}) {
      cmd->get_option(name)->envname(sieve::ConfigEnvName(name));
    }
  };

  JobFlags job;
  job.request.spec.timeout_ms = 15000;

  sieve::RunOptions run;
  run.control = control;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a whole job on this machine");
  AddJobFlags(run_cmd, job);
  run_cmd->add_option("-o,--output", run.output, "Output file (CSV, or JSON Lines: .jsonl)")
      ->required();
  AddEndpointFlags(run_cmd, job, "Inference endpoint (default: start the bundled sieve-classifier)");
  run_cmd->add_option("--workers", run.workers, "Worker count")->capture_default_str();
  run_cmd->add_option("--concurrency", run.concurrency, "Requests in flight per worker")
      ->capture_default_str();
  run_cmd->add_option("--data-dir", run.data_dir,
                      "Where broker and collector keep state (default: a temporary "
                      "directory); the same command again continues its unfinished job");
  run_cmd->add_flag("--allow-shared-data-dir", run.allow_shared_data_dir,
                    "Run even if group or others can read or write --data-dir");

  sieve::WaitOptions wait;
  CLI::App* submit_cmd = app.add_subcommand("submit", "Submit a job to a broker");
  AddJobFlags(submit_cmd, job);
  add_broker(submit_cmd);
  AddEndpointFlags(submit_cmd, job, "Inference endpoint URL (required, or --endpoints-file)");
  submit_cmd->add_flag("--wait", wait.wait, "Show progress until the job ends");
  submit_cmd->add_option("-o,--output", wait.output, "With --wait: fetch the output here");

  std::string job_id;
  CLI::App* status_cmd = app.add_subcommand("status", "Show one job or all jobs");
  status_cmd->add_option("job", job_id, "Job id (default: all jobs)");
  status_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(status_cmd);

  CLI::App* jobs_cmd = app.add_subcommand("jobs", "List all jobs");
  jobs_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(jobs_cmd);

  std::string output;
  CLI::App* wait_cmd = app.add_subcommand("wait", "Wait for a job to end");
  wait_cmd->add_option("job", job_id, "Job id")->required();
  wait_cmd->add_option("-o,--output", output, "Fetch the output here when done");
  add_broker(wait_cmd);

  CLI::App* cancel_cmd = app.add_subcommand("cancel", "Cancel a job");
  cancel_cmd->add_option("job", job_id, "Job id")->required();
  add_broker(cancel_cmd);

  sieve::ResumeOptions resume;
  CLI::App* resume_cmd = app.add_subcommand(
      "resume", "Carry on with a held-back job (give its credential headers again, or a new "
                "budget to a budget_exhausted job)");
  resume_cmd->add_option("job", job_id, "Job id")->required();
  resume_cmd->add_option("--header", resume.headers,
                         "The job's credential header 'Name: value' again (repeatable)");
  resume_cmd->add_option("--max-cost", resume.max_cost,
                         "The job's new budget in --price's currency (0: no limit)");
  resume_cmd->add_option("--max-tokens", resume.max_tokens,
                         "The job's new budget in tokens (0: no limit)");
  add_broker(resume_cmd);

  sieve::RetryOptions retry;
  CLI::App* retry_cmd = app.add_subcommand(
      "retry", "Send a done job's failed rows again and rebuild its output");
  retry_cmd->add_option("job", job_id, "Job id")->required();
  retry_cmd->add_flag("--wait", retry.wait, "Follow the retry to its end");
  retry_cmd->add_option("-o,--output", retry.output, "With --wait: fetch the rebuilt output here");
  retry_cmd->add_option("--header", retry.headers,
                        "The job's credential header 'Name: value' again (repeatable)");
  add_broker(retry_cmd);

  CLI::App* fetch_cmd = app.add_subcommand("fetch", "Download a finished job's output");
  fetch_cmd->add_option("job", job_id, "Job id")->required();
  fetch_cmd->add_option("-o,--output", output, "Output CSV")->required();
  add_broker(fetch_cmd);
  std::string fetch_data_dir;
  fetch_cmd->add_option("--data-dir", fetch_data_dir,
                        "Fetch from the data directory a `sieve run` kept (instead of --broker)");

  CLI::App* workers_cmd = app.add_subcommand("workers", "List connected workers");
  workers_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(workers_cmd);

  CLI::App* limits_cmd =
      app.add_subcommand("limits", "Show the rate-limit keys: limits, current rate, pauses");
  limits_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(limits_cmd);

  sieve::CacheCommandOptions cache;
  CLI::App* cache_cmd = app.add_subcommand("cache", "The result cache at the collector");
  cache_cmd->require_subcommand(1);
  CLI::App* cache_stats_cmd = cache_cmd->add_subcommand("stats", "Entries, bytes, hits, misses");
  cache_stats_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(cache_stats_cmd);
  CLI::App* cache_clear_cmd = cache_cmd->add_subcommand("clear", "Remove cached answers");
  cache_clear_cmd->add_option("--older-than", cache.older_than,
                              "Only entries written longer ago than this (7d, 12h, 30m)");
  cache_clear_cmd->add_flag("--json", client.json, "Print JSON");
  add_broker(cache_clear_cmd);

  std::string key_dir = ".";
  std::string key_name;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "Write a CURVE keypair: DIR/NAME.key (secret) and NAME.pub");
  keygen_cmd->add_option("name", key_name, "Key name (e.g. broker, worker-1, alice)")->required();
  keygen_cmd->add_option("--dir", key_dir, "Directory to write into")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    int code = app.exit(e, out, err);
    sieve::Print(control, "%s", out.str().c_str());
    sieve::Tell(control, "%s", err.str().c_str());
    return code == 0 ? 0 : sieve::kExitUsage;
  }
  if ((*run_cmd || *submit_cmd) &&
      !FinishJobFlags(job, *run_cmd ? run.output : wait.output, control)) {
    return sieve::kExitUsage;
  }
  if (*submit_cmd && job.request.spec.endpoint.empty()) {
    sieve::Tell(control, "sieve: submit needs --endpoint URL (or --endpoints-file F)\n");
    return sieve::kExitUsage;
  }
  for (const std::string& header : job.request.spec.headers) {  // ${secret:NAME} well formed
    sieve::Result<std::vector<std::string>> refs = sieve::SecretRefNames(header);
    if (!refs.ok()) {  // the message names the problem, never the header's value
      sieve::Tell(control, "sieve: --header %s: %s\n",
                  std::string(sieve::HeaderNameOf(header)).c_str(),
                  refs.status().message().c_str());
      return sieve::kExitUsage;
    }
  }
  if (*keygen_cmd) return sieve::KeygenCommand(key_dir, key_name);
  if (!*run_cmd) {
    sieve::Result<sieve::CurveConfig> curve = security.LoadForBrokerClient();
    if (!curve.ok()) {
      sieve::Tell(control, "sieve: %s\n", curve.status().message().c_str());
      return sieve::kExitUsage;
    }
    client.curve = *curve;
  }

  if (*run_cmd) return sieve::RunCommand(job.request, run);
  if (*submit_cmd) return sieve::SubmitCommand(client, job.request, wait);
  if (*status_cmd) return sieve::StatusCommand(client, job_id);
  if (*jobs_cmd) return sieve::StatusCommand(client, "");
  if (*wait_cmd) return sieve::WaitCommand(client, job_id, output);
  if (*cancel_cmd) return sieve::CancelCommand(client, job_id);
  if (*fetch_cmd && !fetch_data_dir.empty()) {
    return sieve::FetchFromDataDirCommand(fetch_data_dir, job_id, output);
  }
  if (*fetch_cmd) return sieve::FetchCommand(client, job_id, output);
  if (*resume_cmd) return sieve::ResumeCommand(client, job_id, resume);
  if (*retry_cmd) return sieve::RetryCommand(client, job_id, retry);
  if (*workers_cmd) return sieve::WorkersCommand(client);
  if (*limits_cmd) return sieve::LimitsCommand(client);
  if (*cache_cmd) {
    cache.clear = cache_clear_cmd->parsed();
    return sieve::CacheCommand(client, cache);
  }
  return sieve::kExitUsage;
}

}  // namespace sieve
