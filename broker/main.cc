// sieve-broker: the broker daemon. See broker/broker.h for what it does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "common/listen_policy.h"
#include "common/shutdown.h"

int main(int argc, char** argv) {
  sieve::BrokerOptions options;
  bool insecure = false;
  CLI::App app{"sieve-broker: keeps jobs durably and leases their chunks to workers"};
  app.add_option("--listen", options.listen, "ZeroMQ endpoint to bind (tcp://HOST:PORT)")
      ->envname("SIEVE_BROKER_LISTEN")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory for the job database and chunk spool")
      ->envname("SIEVE_DATA_DIR")
      ->required();
  app.add_option("--lease-ms", options.lease_ms, "Lease length past the last heartbeat (ms)")
      ->capture_default_str();
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
  auto broker = sieve::Broker::Create(context, options);
  if (!broker.ok()) {
    spdlog::error("cannot start the broker: {}", broker.status().ToString());
    return 1;
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
