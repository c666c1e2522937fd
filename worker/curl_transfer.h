// Transfer: one reusable libcurl easy handle and the buffers of the request it carries.
//
// CurlTransport keeps one Transfer per engine slot. The options that never change (URL, timeouts, HTTP
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
#include <string_view>
#include <vector>

#include "common/status.h"
#include "worker/attempt_outcome.h"
#include "worker/engine_options.h"

namespace sieve {

// How a transfer that libcurl ended with `code` (and `error_text`, its error buffer) ended;
// `too_large` when the write callback refused the answer for its size.
TransferError TransferErrorFromCurl(CURLcode code, std::string_view error_text, bool too_large);

class Transfer {
 public:
  // A handle for the engine's slot `slot`. Fails with Internal when libcurl cannot make a
  // handle or refuses an option.
  static Result<std::unique_ptr<Transfer>> Create(const EngineOptions& options, int slot);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Loads a POST of `body` (borrowed until the transfer ends) with the request headers
  // (`base_headers` plus an Idempotency-Key header of `idempotency_key`). The handle is then ready for
  // curl_multi_add_handle.
  Status Load(std::string_view body, std::string_view idempotency_key,
              const std::vector<std::string>& base_headers);
  // Records curl's result once the transfer is done.
  void Finish(CURLcode code) { code_ = code; }

  // What curl says about the finished transfer.
  TransferReport Report() const;

  CURL* easy() const { return easy_; }
  int slot() const { return slot_; }
  bool active = false;  // added to the multi handle

 private:
  Transfer(const EngineOptions& options, int slot) : options_(options), slot_(slot) {}
  Status Configure();
  static size_t OnWrite(char* data, size_t size, size_t count, void* self);
  // libcurl's header callback: keeps x-ratelimit-remaining-requests / -reset-requests of the
  // final answer (a new status line, e.g. after a 100 Continue, forgets earlier ones).
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);

  const EngineOptions& options_;
  const int slot_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string response_;
  bool too_large_ = false;
  std::string ratelimit_remaining_;  // raw header values (<= 32 bytes), empty when absent
  std::string ratelimit_reset_;
  CURLcode code_ = CURLE_OK;
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace sieve
