// sieve-collector: the collector daemon. See collector/collector.h for what it does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "collector/collector.h"
#include "common/listen_policy.h"
#include "common/shutdown.h"

int main(int argc, char** argv) {
  sieve::CollectorOptions options;
  bool insecure = false;
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
  app.add_option("--name", options.name, "Name shown in logs")->capture_default_str();
  app.add_option("--heartbeat-ms", options.heartbeat_ms, "Heartbeat interval (ms)")
      ->capture_default_str();
  app.add_flag("--insecure", insecure, "Allow binding a non-loopback address without CURVE keys");
  CLI11_PARSE(app, argc, argv);

  sieve::Status allowed = sieve::CheckListenPolicy(options.listen, insecure);
  if (!allowed.ok()) {
    spdlog::error("{}", allowed.message());
    return 2;
  }
  zmq::context_t context;
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
