// sieve-collector: the collector daemon. See collector/collector.h for what it does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "collector/collector.h"
#include "common/config.h"
#include "common/daemon_flags.h"
#include "common/logging.h"
#include "common/metrics_server.h"
#include "net/security_flags.h"
#include "common/shutdown.h"

int main(int argc, char** argv) {
  sieve::CollectorOptions options;
  sieve::SecurityFlags security;
  sieve::DaemonFlags daemon;
  CLI::App app{"sieve-collector: stores chunk results durably and merges them in order"};
  app.add_option("--broker", options.broker, "Broker endpoint (tcp://HOST:PORT)")
      ->envname("SIEVE_BROKER")
      ->capture_default_str();
  app.add_option("--listen", options.listen, "ZeroMQ endpoint to bind for workers and fetches")
      ->envname("SIEVE_COLLECTOR_LISTEN")
      ->capture_default_str();
  app.add_option("--advertise", options.advertise,
                 "Endpoint workers should connect to (default: the bound endpoint)");
  app.add_option("--data-dir", options.data_dir, "Directory for results and outputs")
      ->envname("SIEVE_DATA_DIR")
      ->required();
  app.add_flag("--allow-shared-data-dir", options.allow_shared_data_dir,
               "Start even if group or others can read or write --data-dir")
      ->envname("SIEVE_ALLOW_SHARED_DATA_DIR");
  app.add_option("--cache-max-bytes", options.cache_max_bytes,
                 "Bound of the result cache (DATA_DIR/cache.db), e.g. 1GiB; least recently used "
                 "entries are evicted past it")
      ->transform(CLI::AsSizeValue(false))
      ->envname("SIEVE_CACHE_MAX_BYTES")
      ->capture_default_str();
  app.add_option("--name", options.name, "Name shown in logs")->capture_default_str();
  app.add_option("--heartbeat-ms", options.heartbeat_ms, "Heartbeat interval (ms)")
      ->capture_default_str();
  sieve::AddSecurityFlags(app, security, {.connects_to_broker = true, .accepts_peers = true});
  sieve::AddDaemonFlags(app, daemon);
  if (auto exit_code = sieve::ParseLayeredConfig(app, argc, argv)) return *exit_code;
  sieve::Status logging = sieve::ConfigureLogging("sieve-collector", daemon.log_format,
                                                  daemon.log_level);
  if (!logging.ok()) {
    spdlog::error("{}", logging.message());
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
  std::unique_ptr<sieve::MetricsServer> metrics;
  if (!daemon.metrics.empty()) {
    options.metrics_registry = std::make_shared<prometheus::Registry>();
    auto started = sieve::MetricsServer::StartAndAnnounce(daemon.metrics, options.metrics_registry);
    if (!started.ok()) {
      spdlog::error("{}", started.status().ToString());
      return 1;
    }
    metrics = std::move(*started);
  }
  auto collector = sieve::Collector::Create(context, options);
  if (!collector.ok()) {
    spdlog::error("cannot start the collector: {}", collector.status().ToString());
    return 1;
  }
  std::printf("listening on %s\n", (*collector)->endpoint().c_str());
  std::fflush(stdout);
  sieve::Status s = sieve::RunUntilSignalled([&] { return (*collector)->Run(); },
                                             [&] { (*collector)->RequestStop(); });
  if (!s.ok()) {
    spdlog::error("collector stopped: {}", s.ToString());
    return 1;
  }
  return 0;
}
