// Helpers shared by the HTTP engine tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "test_http_server.h"
#include "worker/engine_options.h"
#include "worker/row_batch.h"

namespace sieve::testing {

// A chunk of `rows` rows with the seed's columns: website = "site-<i>", content = "text <i>".
inline RowBatch MakeBatch(size_t rows, std::string job = "job", uint64_t chunk = 7) {
  RowBatch batch;
  batch.job_id = std::move(job);
  batch.chunk_index = chunk;
  batch.header = {"website", "content"};
  for (size_t i = 0; i < rows; ++i) {
    batch.rows.push_back({"site-" + std::to_string(i), "text " + std::to_string(i)});
  }
  return batch;
}

// Options for tests: short timeouts and backoff, a fixed jitter seed.
inline EngineOptions TestOptions(const std::string& endpoint) {
  EngineOptions options;
  options.endpoint = endpoint;
  options.concurrency = 8;
  options.timeout = std::chrono::milliseconds(500);
  options.connect_timeout = std::chrono::milliseconds(500);
  options.backoff.base = std::chrono::milliseconds(5);
  options.backoff.max = std::chrono::milliseconds(20);
  options.seed = 42;
  return options;
}

// The label a well-behaved test endpoint gives a row: "L-" + its website.
inline TestResponse EchoLabel(const TestRequest& request) {
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  TestResponse response;
  if (body.is_object() && body.contains("website")) {
    response.body = nlohmann::json{{"label", "L-" + body["website"].get<std::string>()}}.dump();
  } else {
    response.status = 400;
    response.body = "bad request";
  }
  return response;
}

}  // namespace sieve::testing
