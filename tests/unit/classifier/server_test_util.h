// Helpers for tests that run a ClassifierServer in-process and talk to it over real HTTP.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "classifier/classifier_server.h"
#include "classifier/corpus.h"

namespace sieve::classifier {

// The model trained on the shipped corpus, trained once per process.
inline std::shared_ptr<const NaiveBayesModel> CorpusModel() {
  static const std::shared_ptr<const NaiveBayesModel> model = [] {
    Result<std::vector<LabeledText>> corpus =
        ReadCorpus(SIEVE_SOURCE_DIR "/examples/classifier-corpus.csv");
    EXPECT_TRUE(corpus.ok()) << corpus.status().ToString();
    Result<NaiveBayesModel> trained = NaiveBayesModel::Train(*corpus, {});
    EXPECT_TRUE(trained.ok());
    return std::make_shared<const NaiveBayesModel>(std::move(trained).value());
  }();
  return model;
}

// Loopback, port 0, the corpus model; `options` supplies everything else.
inline std::unique_ptr<ClassifierServer> StartTestServer(ClassifierOptions options = {}) {
  options.host = "127.0.0.1";
  options.port = 0;
  if (!options.model && options.model_path.empty()) options.model = CorpusModel();
  Result<std::unique_ptr<ClassifierServer>> server = ClassifierServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

inline std::unique_ptr<httplib::Client> ClientFor(const ClassifierServer& server,
                                                  int read_timeout_ms = 10000) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  client->set_read_timeout(read_timeout_ms / 1000, (read_timeout_ms % 1000) * 1000);
  client->set_connection_timeout(5, 0);
  return client;
}

inline std::string ClassifyBody(const std::string& content) {
  return nlohmann::json{{"website", "https://example.com"}, {"content", content}}.dump();
}

}  // namespace sieve::classifier
