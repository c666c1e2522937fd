// sieve-broker: the broker daemon. See broker/broker.h for what it does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/console_actions.h"
#include "broker/console_assets.h"
#include "broker/duration.h"
#include "common/config.h"
#include "common/daemon_flags.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "net/security_flags.h"
#include "common/shutdown.h"

int main(int argc, char** argv) {
  sieve::BrokerOptions options;
  sieve::SecurityFlags security;
  sieve::DaemonFlags daemon;
  CLI::App app{"sieve-broker: keeps jobs durably and leases their chunks to workers"};
  app.add_option("--listen", options.listen, "ZeroMQ endpoint to bind (tcp://HOST:PORT)")
      ->envname("SIEVE_BROKER_LISTEN")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory for the job database and chunk spool")
      ->envname("SIEVE_DATA_DIR")
      ->required();
  app.add_flag("--shared-cache", options.shared_cache,
               "One result cache namespace for every client: a client's cached answers serve "
               "other clients' jobs (default: each client its own)")
      ->envname("SIEVE_SHARED_CACHE");
  app.add_flag("--allow-shared-data-dir", options.allow_shared_data_dir,
               "Start even if group or others can read or write --data-dir")
      ->envname("SIEVE_ALLOW_SHARED_DATA_DIR");
  app.add_option("--lease-ms", options.lease_ms, "Lease length past the last heartbeat (ms)")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", options.heartbeat_ms, "Heartbeat interval (ms)")
      ->capture_default_str();
  app.add_option("--max-jobs-per-client", options.max_jobs_per_client,
                 "Jobs one client (key) may have in flight")
      ->capture_default_str();
  app.add_option("--max-spool-bytes-per-client", options.max_spool_bytes_per_client,
                 "Chunk bytes one client (key) may have waiting in the spool")
      ->capture_default_str();
  std::string retain = "1h";
  std::string purge_after = "7d";
  app.add_option("--retain", retain,
                 "How long an ended job stays in memory (status/jobs/fetch still answer for it "
                 "from the database afterwards): e.g. 90s, 15m, 1h, or 'never' to keep it")
      ->capture_default_str();
  app.add_option("--purge-after", purge_after,
                 "When an ended job's state and spool are deleted for good (e.g. 7d, 'never')")
      ->capture_default_str();
  app.add_option("--poison-deaths", options.poison_deaths,
                 "Worker deaths in a row, each holding the same chunk alone, that isolate it as "
                 "a poison pill (its rows become errors); 0: never")
      ->capture_default_str();
  app.add_option("--lost-backoff-ms", options.lost_backoff_ms,
                 "Wait before a chunk whose worker was lost runs again (doubles per loss)")
      ->capture_default_str();
  app.add_option("--lost-backoff-max-ms", options.lost_backoff_max_ms,
                 "The longest wait before a lost chunk runs again")
      ->capture_default_str();
  std::vector<std::string> limit_flags;
  app.add_option("--limit", limit_flags,
                 "Cap of a limit key, NAME=600/min[,tokens=90000/min] (repeatable): jobs naming "
                 "--limit-key NAME get at most this, whatever they ask (docs/limits.md)");
  std::string console_token_file;
  app.add_option("--console-token", console_token_file,
                 "File holding a token (first line, 16+ characters, mode 600) that turns on the "
                 "web console's actions (cancel a job); without it the console is read-only")
      ->envname("SIEVE_CONSOLE_TOKEN_FILE");
  sieve::AddSecurityFlags(app, security, {.accepts_peers = true});
  sieve::AddDaemonFlags(app, daemon);
  if (auto exit_code = sieve::ParseLayeredConfig(app, argc, argv)) return *exit_code;
  sieve::Status logging = sieve::ConfigureLogging("sieve-broker", daemon.log_format,
                                                  daemon.log_level);
  if (!logging.ok()) {
    spdlog::error("{}", logging.message());
    return 2;
  }

  for (const std::string& flag : limit_flags) {
    auto parsed = sieve::ParseLimitFlag(flag);
    if (!parsed.ok()) {
      spdlog::error("{}", parsed.status().message());
      return 2;
    }
    options.limits[parsed->first] = parsed->second;
  }
  for (auto [text, out] : {std::pair{&retain, &options.retain_ms},
                           std::pair{&purge_after, &options.purge_ms}}) {
    sieve::Result<int64_t> ms = sieve::ParseDuration(*text);
    if (!ms.ok()) {
      spdlog::error("{}", ms.status().message());
      return 2;
    }
    *out = *ms;
  }
  if (options.retain_ms >= 0 && options.purge_ms >= 0 && options.purge_ms < options.retain_ms) {
    spdlog::error("--purge-after must not be shorter than --retain");
    return 2;
  }
  sieve::Result<sieve::CurveConfig> curve = security.LoadForListener(options.listen);
  if (!curve.ok()) {
    spdlog::error("{}", curve.status().message());
    return 2;
  }
  options.curve = *curve;
  std::string console_token;
  if (!console_token_file.empty()) {
    if (daemon.metrics.empty()) {
      spdlog::error("--console-token needs --metrics (the console is served there)");
      return 2;
    }
    sieve::Result<std::string> token = sieve::LoadConsoleToken(console_token_file);
    if (!token.ok()) {
      spdlog::error("{}", token.status().message());
      return 2;
    }
    console_token = *token;
  }
  options.allow_dir = security.allow_dir;
  zmq::context_t context;
  if (!daemon.metrics.empty()) options.metrics_registry = std::make_shared<prometheus::Registry>();
  auto broker = sieve::Broker::Create(context, options);
  if (!broker.ok()) {
    spdlog::error("cannot start the broker: {}", broker.status().ToString());
    return 1;
  }
  // Declared after the broker: stops serving (its routes read the broker's status board)
  // before the broker goes away.
  // The console's action gate: refuses everything without a token (read-only console).
  sieve::ConsoleGate console_gate(console_token, sieve::Broker::ConsoleActionNames(),
                                  (*broker)->console_actions());
  if (!console_token.empty()) {
    (*broker)->console_board().SetActions(sieve::Broker::ConsoleActionNames());
  }
  std::unique_ptr<sieve::MetricsServer> metrics;
  if (!daemon.metrics.empty()) {
    std::vector<sieve::HttpRoute> routes = (*broker)->status_board().Routes();
    for (auto more : {(*broker)->console_board().Routes(), sieve::ConsoleAssetRoutes(),
                      console_gate.Routes()}) {
      routes.insert(routes.end(), more.begin(), more.end());
    }
    auto started = sieve::MetricsServer::StartAndAnnounce(
        daemon.metrics, options.metrics_registry, std::move(routes));
    if (!started.ok()) {
      spdlog::error("{}", started.status().ToString());
      return 1;
    }
    metrics = std::move(*started);
  }
  // Machine-readable line for scripts and tests that start the broker on port 0.
  std::printf("listening on %s\n", (*broker)->endpoint().c_str());
  std::fflush(stdout);
  sieve::Status s = sieve::RunUntilSignalled([&] { return (*broker)->Run(); },
                                             [&] { (*broker)->RequestStop(); });
  if (!s.ok()) {
    spdlog::error("broker stopped: {}", s.ToString());
    return 1;
  }
  return 0;
}
