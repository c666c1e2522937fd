// sieve-worker: the worker daemon. See worker/worker_node.h for what it does.
// SIGTERM/SIGINT drain it gracefully: unfinished chunks go back to the broker, results in
// flight are delivered, then it exits 0.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/shutdown.h"
#include "worker/worker_node.h"

int main(int argc, char** argv) {
  sieve::WorkerNodeOptions options;
  const char* env_broker = std::getenv("SIEVE_BROKER");
  if (env_broker != nullptr && *env_broker != '\0') options.broker = env_broker;
  CLI::App app{"sieve-worker: labels leased chunks through the job's HTTP endpoint"};
  app.add_option("--broker", options.broker, "Broker endpoint (default: $SIEVE_BROKER)")
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
  app.add_option("--drain-timeout-ms", options.drain_timeout_ms,
                 "On SIGTERM, how long to wait for results to be delivered")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  zmq::context_t context;
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
