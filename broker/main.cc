// sieve-broker: the broker daemon. See broker/broker.h for what it does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "broker/broker.h"
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
  std::unique_ptr<sieve::MetricsServer> metrics;
  if (!daemon.metrics.empty()) {
    auto started = sieve::MetricsServer::StartAndAnnounce(
        daemon.metrics, options.metrics_registry, (*broker)->status_board().Routes());
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
