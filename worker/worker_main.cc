// sieve-worker: the worker daemon. See worker/worker_node.h for what it does.
// SIGTERM/SIGINT drain it gracefully: unfinished chunks go back to the broker, results in
// flight are delivered, then it exits 0.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/config.h"
#include "common/daemon_flags.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "net/security_flags.h"
#include "common/shutdown.h"
#include "worker/engine_flags.h"
#include "worker/worker_node.h"

int main(int argc, char** argv) {
  sieve::WorkerNodeOptions options;
  sieve::DaemonFlags daemon;
  sieve::SecurityFlags security;
  CLI::App app{"sieve-worker: labels leased chunks through the job's HTTP endpoint"};
  app.add_option("--broker", options.broker, "Broker endpoint (tcp://HOST:PORT)")
      ->envname("SIEVE_BROKER")
      ->capture_default_str();
  app.add_option("--name", options.name, "Name shown in `sieve workers` (default: host:pid)");
  app.add_option("--concurrency", options.concurrency, "HTTP requests in flight at most")
      ->envname("SIEVE_CONCURRENCY")
      ->capture_default_str();
  app.add_flag("--adaptive", options.adaptive,
               "Adapt concurrency to the endpoint (AIMD), never above --concurrency");
  app.add_option("--max-chunks", options.max_chunks, "Chunks held at once")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", options.heartbeat_ms, "Heartbeat interval (ms)")
      ->capture_default_str();
  app.add_option("--max-relabels", options.max_relabels,
                 "Rounds a chunk's failed rows are labelled again after an endpoint outage "
                 "(1 s doubling to 30 s apart) before they are error rows; 0: at once")
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", options.drain_timeout_ms,
                 "On SIGTERM, how long to wait for results to be delivered")
      ->capture_default_str();
  sieve::AddCaFileFlag(app, options.ca_file);
  std::string secrets_file;
  app.add_option("--secrets-file", secrets_file,
                 "Values of ${secret:NAME} header references, NAME=VALUE lines (mode 0600); "
                 "$SIEVE_SECRET_<NAME> variables too")
      ->envname("SIEVE_SECRETS_FILE");
  sieve::AddSecurityFlags(app, security, {.connects_to_broker = true});
  sieve::AddDaemonFlags(app, daemon);
  if (auto exit_code = sieve::ParseLayeredConfig(app, argc, argv)) return *exit_code;
  sieve::Status logging = sieve::ConfigureLogging("sieve-worker", daemon.log_format,
                                                  daemon.log_level);
  if (!logging.ok()) {
    spdlog::error("{}", logging.message());
    return 2;
  }

  sieve::Result<sieve::CurveConfig> curve = security.LoadForBrokerClient();
  if (!curve.ok()) {
    spdlog::error("{}", curve.status().message());
    return 2;
  }
  options.curve = *curve;
  sieve::Result<sieve::SecretStore> secrets = sieve::SecretStore::Load(secrets_file, environ);
  if (!secrets.ok()) {
    spdlog::error("{}", secrets.status().message());
    return 2;
  }
  options.secrets = std::move(*secrets);
  zmq::context_t context;
  std::unique_ptr<sieve::MetricsServer> metrics;
  if (!daemon.metrics.empty()) {
    options.metrics_registry = std::make_shared<prometheus::Registry>();
    auto started = sieve::MetricsServer::StartAndAnnounce(daemon.metrics, options.metrics_registry);
    if (!started.ok()) {
      spdlog::error("{}", started.status().ToString());
      return 2;
    }
    metrics = std::move(*started);
  }
  auto node = sieve::WorkerNode::Create(context, options);
  if (!node.ok()) {
    spdlog::error("cannot start the worker: {}", node.status().ToString());
    return 2;
  }
  sieve::Status s = sieve::RunUntilSignalled([&] { return (*node)->Run(); },
                                             [&] { (*node)->RequestDrain(); });
  if (!s.ok()) {
    spdlog::error("worker stopped: {}", s.ToString());
    return 1;
  }
  return 0;
}
