// Transfer: one reusable libcurl easy handle and the buffers of the request it carries.
//
// The engine keeps a pool of Transfers. The options that never change (URL, timeouts, HTTP
// version, NOSIGNAL, callbacks) are set once when the handle is made; Start sets only the body
// and the header list, so connections and handle state are reused across requests.
//
// Thread-safety: not thread-safe; owned by the engine's thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/attempt_outcome.h"
#include "worker/chunk_tracker.h"
#include "worker/engine_options.h"

namespace sieve {

class Transfer {
 public:
  // Fails with Internal when libcurl cannot make a handle or refuses an option.
  static Result<std::unique_ptr<Transfer>> Create(const EngineOptions& options);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Loads `call` and the request headers (`base_headers` plus the call's Idempotency-Key).
  // The handle is then ready for curl_multi_add_handle.
  Status Load(Call call, const std::vector<std::string>& base_headers, uint64_t epoch);

  // What curl says about the finished transfer with result `code`.
  TransferReport Report(CURLcode code) const;
  std::chrono::microseconds Duration() const;

  CURL* easy() const { return easy_; }
  Call& call() { return call_; }
  const std::string& response() const { return response_; }
  uint64_t epoch() const { return epoch_; }
  bool active = false;  // added to the multi handle

 private:
  explicit Transfer(const EngineOptions& options) : options_(options) {}
  Status Configure();
  static size_t OnWrite(char* data, size_t size, size_t count, void* self);

  const EngineOptions& options_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  Call call_;
  std::string response_;
  bool too_large_ = false;
  uint64_t epoch_ = 0;
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace sieve
