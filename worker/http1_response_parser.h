// Http1ResponseParser: an incremental parser of one HTTP/1.x response as a client reads it
// (RFC 9112): the status line, the header fields, then a body framed by Content-Length, the
// chunked transfer coding, or the end of the connection. Interim 1xx answers are skipped.
//
// Feed() takes bytes as they arrive, split anywhere; it consumes only what belongs to this
// response and says how many bytes it used. Limits: status line and headers (and each chunk
// size line or trailer) at most kMaxHeadBytes; the body at most `max_body` bytes (kTooLarge).
// What it refuses (kMalformed, with error() saying what): a status line that is not
// "HTTP/1.x NNN ...", a header line without a colon, conflicting or non-numeric
// Content-Length, a transfer coding other than chunked, a bad chunk size, 101 Switching
// Protocols (never asked for).
//
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sieve {

class Http1ResponseParser {
 public:
  enum class State { kIncomplete, kComplete, kMalformed, kTooLarge };
  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  explicit Http1ResponseParser(size_t max_body) : max_body_(max_body) {}

  // Forgets the last response: ready for the next one on the same connection (buffers keep
  // their capacity).
  void Reset();

  // Parses bytes of the response. Returns the state after them; *used is how many bytes were
  // consumed (all of `data` unless the response completed or failed inside it).
  // REQUIRES: the state is kIncomplete.
  State Feed(std::string_view data, size_t* used);

  // The connection ended: kComplete for a body framed by the close, kIncomplete when the
  // response was cut short (truncated; started() tells whether any byte had come).
  State FinishAtEof();

  bool started() const { return started_; }     // a byte of an answer has arrived
  int status() const { return status_; }         // of the final (non-1xx) response
  const std::string& body() const { return body_; }
  // Exchanges the body with `other` (the caller takes it without a copy).
  void SwapBody(std::string& other) { body_.swap(other); }
  // The server lets the connection carry another request (HTTP/1.1 without "Connection:
  // close", HTTP/1.0 with "Connection: keep-alive", and a body not framed by the close).
  bool keep_alive() const { return keep_alive_; }
  std::string_view retry_after() const { return retry_after_; }  // raw value, may be empty
  // x-ratelimit-remaining-requests / x-ratelimit-reset-requests, raw (<= 32 bytes), may be empty.
  std::string_view ratelimit_remaining() const { return ratelimit_remaining_; }
  std::string_view ratelimit_reset() const { return ratelimit_reset_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kHead, kBody, kUntilClose, kChunkSize, kChunkData, kChunkEnd, kTrailers };

  State Fail(std::string what);
  State ParseHead();  // head_ holds a full head, without the blank line
  State ParseHeader(std::string_view line);
  State StartBody();
  // Collects one line into line_; true when it is complete (without CRLF) in line_.
  bool TakeLine(std::string_view data, size_t* at, State* state);
  State AppendBody(std::string_view bytes);
  State FeedChunked(std::string_view data, size_t* at);

  const size_t max_body_;
  Phase phase_ = Phase::kHead;
  bool started_ = false;
  std::string head_;   // status line and headers read so far
  std::string line_;   // chunk size line or trailer read so far
  int status_ = 0;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool chunked_ = false;
  int64_t content_length_ = -1;  // -1: not given
  uint64_t remaining_ = 0;       // body (or chunk) bytes still to come
  std::string body_;
  std::string retry_after_;
  std::string ratelimit_remaining_;
  std::string ratelimit_reset_;
  std::string error_;
};

}  // namespace sieve
