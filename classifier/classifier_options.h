// ClassifierOptions: everything that configures a ClassifierServer, plus the helpers that turn
// command-line text into options (listen address) and find the default model.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "classifier/chat_codec.h"
#include "classifier/fault_injector.h"
#include "classifier/naive_bayes.h"
#include "common/status.h"

namespace sieve::classifier {

// The file name of the default model, built from examples/classifier-corpus.csv.
inline constexpr std::string_view kDefaultModelFileName = "sieve-classifier-model.bin";

struct ClassifierOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: the kernel picks a free port (see port())
  // The model: `model` when set, else the file `model_path`, else DefaultModelPath().
  std::shared_ptr<const NaiveBayesModel> model;
  std::string model_path;
  std::string text_field = "content";  // the request member that holds the text
  // HTTP worker threads; each serves one connection at a time. 64 = one sieve-worker's default
  // --concurrency: fewer threads than client connections leaves the extra connections queued.
  std::size_t threads = 64;
  // A keep-alive connection is closed after this many requests, so that connections queued
  // behind busy ones (more connections than threads) get a thread within a bounded number of
  // requests instead of waiting until a busy client goes idle.
  std::size_t keep_alive_max_requests = 500;
  std::size_t max_inflight = 0;        // classify requests beyond this get 503; 0 = unlimited
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::size_t max_batch = 1000;          // larger /classify/batch arrays get 413
  FaultOptions faults;
  // The server's own quota (classifier/quota_window.h): requests and tokens per minute beyond
  // which classify requests get 429 with Retry-After and x-ratelimit-* headers. 0: none.
  std::uint64_t rpm = 0;
  std::uint64_t tpm = 0;
  // How POST /v1/chat/completions words its answer (chat_codec.h); noisy_rate is the share of
  // noisy answers that name a label that does not exist (drawn from an RNG seeded by faults.seed).
  AnswerStyle answer_style = AnswerStyle::kPlain;
  double noisy_rate = 0.2;

  // InvalidArgument naming the bad option (port range, threads 1..1024, empty text field,
  // zero limits, fault rates, noisy rate).
  Status Validate() const;
};

// The default model file: next to the running executable, else <exe dir>/../share/sieve/ (the
// installed layout), else the path compiled in at build time (the build tree's trained model).
// NotFound listing every place tried.
Result<std::string> DefaultModelPath();

}  // namespace sieve::classifier
