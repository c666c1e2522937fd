// sieve-classifier: the reference inference server, and its train / eval subcommands.
//
//   sieve-classifier [--listen HOST:PORT] [--metrics HOST:PORT] [--model FILE] [fault flags...]
//   sieve-classifier train CORPUS.csv -o model.bin
//   sieve-classifier eval CORPUS.csv --holdout 0.2 --seed 42
//
// DESIGN: main blocks SIGINT and SIGTERM before any thread starts (every thread inherits the
// mask), starts the ClassifierServer (and, with --metrics, a MetricsServer serving the same
// registry as GET /metrics on the listen address; it prints "metrics on HOST:PORT" first),
// prints "listening on HOST:PORT" to stdout (flushed; logs go to stderr), then waits in
// sigwait() for a signal and stops the server.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "classifier/classifier_server.h"
#include "classifier/commands.h"
#include "common/config.h"
#include "common/daemon_flags.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/metrics_server.h"

namespace {

using sieve::classifier::ClassifierOptions;

struct Flags {
  std::string listen = "127.0.0.1:8000";
  sieve::DaemonFlags daemon;  // --log-format, --log-level, --metrics (also /metrics on --listen)
  ClassifierOptions server;
  sieve::classifier::TrainOptions train;
  std::string corpus;
  std::string output;
  double holdout = 0.2;
  std::uint64_t eval_seed = 42;
};

void AddServeFlags(CLI::App& app, Flags& f) {
  ClassifierOptions& s = f.server;
  app.add_option("--listen", f.listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--model", s.model_path, "model file (default: the model built from examples/)");
  app.add_option("--text-field", s.text_field, "request member holding the text")
      ->capture_default_str();
  app.add_option("--threads", s.threads,
                 "HTTP worker threads, each serving one connection at a time: give at least as "
                 "many as the clients' connections (summed sieve-worker --concurrency)")
      ->capture_default_str();
  app.add_option("--keep-alive-requests", s.keep_alive_max_requests,
                 "close a keep-alive connection after N requests (lets queued connections in)")
      ->capture_default_str();
  app.add_option("--max-inflight", s.max_inflight,
                 "answer 503 beyond N concurrent classify "
                 "requests (0: no limit)");
  app.add_option("--rpm", s.rpm,
                 "answer 429 (Retry-After, x-ratelimit-*) beyond N classify requests per "
                 "minute, over a sliding 60 s window (0: no limit)");
  app.add_option("--tpm", s.tpm,
                 "the same for tokens per minute; a request's tokens are ceil(body bytes / 4)");
  app.add_option("--max-body-bytes", s.max_body_bytes, "answer 413 to larger bodies")
      ->capture_default_str();
  app.add_option("--max-batch", s.max_batch, "answer 413 to larger batches")->capture_default_str();
  app.add_option("--latency-ms", s.faults.latency_ms, "delay every classify request");
  app.add_option("--jitter-ms", s.faults.jitter_ms, "plus a uniform random delay up to this");
  app.add_option("--fail-rate", s.faults.fail_rate, "fraction answered 500");
  app.add_option("--fail-first-ms", s.faults.fail_first_ms,
                 "answer 500 to every classify request for the first N ms after starting");
  app.add_option("--overload-rate", s.faults.overload_rate, "fraction answered 429 + Retry-After");
  app.add_option("--hang-rate", s.faults.hang_rate, "fraction that hang for --hang-ms");
  app.add_option("--hang-ms", s.faults.hang_ms, "how long a hanging request waits")
      ->capture_default_str();
  app.add_option("--garbage-rate", s.faults.garbage_rate, "fraction answered 200 with non-JSON");
  app.add_option("--seed", s.faults.seed, "seed of the fault injector")->capture_default_str();
  app.add_option_function<std::string>(
         "--answer-style",
         [&s](const std::string& name) {
           if (!sieve::classifier::ParseAnswerStyle(name, &s.answer_style)) {
             throw CLI::ValidationError("--answer-style", "must be plain, sentence or noisy");
           }
         },
         "how /v1/chat/completions words its answer: plain (news), sentence (The category is: "
         "News.) or noisy (now and then a label that does not exist)")
      ->default_str("plain");
  app.add_option("--noisy-rate", s.noisy_rate,
                 "with --answer-style noisy: the share of answers naming a made-up label")
      ->capture_default_str();
  sieve::AddDaemonFlags(app, f.daemon);
}

void AddModelFlags(CLI::App& cmd, Flags& f) {
  cmd.add_option("CORPUS", f.corpus, "CSV with columns text,label")->required();
  cmd.add_option("--alpha", f.train.alpha, "smoothing")->capture_default_str();
  cmd.add_option("--min-count", f.train.min_count, "drop rarer tokens")->capture_default_str();
}

int Fail(const sieve::Status& status) {
  spdlog::error("{}", status.ToString());
  return 1;
}

int Serve(Flags& f) {
  auto address = sieve::ParseHostPort(f.listen);
  if (!address.ok()) return Fail(address.status());
  f.server.host = address->host;
  f.server.port = address->port;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = sieve::classifier::ClassifierServer::Start(f.server);
  if (!server.ok()) return Fail(server.status());
  std::unique_ptr<sieve::MetricsServer> metrics;
  if (!f.daemon.metrics.empty()) {
    auto started =
        sieve::MetricsServer::StartAndAnnounce(f.daemon.metrics, (*server)->metrics_registry());
    if (!started.ok()) return Fail(started.status());
    metrics = std::move(*started);
  }
  const std::string& host = (*server)->host();
  const bool ipv6 = host.find(':') != std::string::npos;
  std::cout << "listening on " << (ipv6 ? "[" + host + "]" : host) << ":" << (*server)->port()
            << std::endl;
  const auto& faults = f.server.faults;
  spdlog::info(
      "threads {}, max-inflight {}, latency {}+{} ms, rates: fail {} overload {} hang {} "
      "garbage {}, seed {}",
      f.server.threads, f.server.max_inflight, faults.latency_ms, faults.jitter_ms,
      faults.fail_rate, faults.overload_rate, faults.hang_rate, faults.garbage_rate, faults.seed);
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("signal {}: shutting down", signal);
  (*server)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("sieve-classifier: the reference website classifier server");
  AddServeFlags(app, f);
  CLI::App* train = app.add_subcommand("train", "train a model from a text,label CSV");
  AddModelFlags(*train, f);
  train->add_option("-o,--output", f.output, "model file to write")->required();
  CLI::App* eval =
      app.add_subcommand("eval", "train on part of a corpus, report held-out accuracy");
  AddModelFlags(*eval, f);
  eval->add_option("--holdout", f.holdout, "fraction held out per label")->capture_default_str();
  eval->add_option("--seed", f.eval_seed, "seed of the split")->capture_default_str();
  app.require_subcommand(0, 1);
  if (auto exit_code = sieve::ParseLayeredConfig(app, argc, argv)) return *exit_code;
  sieve::Status logging =
      sieve::ConfigureLogging("sieve-classifier", f.daemon.log_format, f.daemon.log_level);
  if (!logging.ok()) return Fail(logging);

  if (train->parsed()) {
    auto model = sieve::classifier::TrainFromCorpus(f.corpus, f.output, f.train);
    if (!model.ok()) return Fail(model.status());
    spdlog::info("trained {} labels, {} tokens -> {}", model->labels().size(),
                 model->parameters().vocabulary.size(), f.output);
    return 0;
  }
  if (eval->parsed()) {
    auto result = sieve::classifier::EvaluateOnHoldout(f.corpus, f.holdout, f.eval_seed, f.train);
    if (!result.ok()) return Fail(result.status());
    std::cout << result->Report();
    return 0;
  }
  return Serve(f);
}
