// The result cache's commands (docs/protocol.md, "Result cache"; the design is in
// docs/architecture.md, "The result cache and dedupe"): a worker asks the collector which of
// a chunk's request fingerprints it already knows (CACHE_LOOKUP / CACHE_ANSWER) and sends the
// answers it got (CACHE_FILL); a client reads or clears the cache (CACHE_ADMIN /
// CACHE_ADMIN_REPLY). Same conventions as proto/messages.h.
//
// Fingerprints travel as 64 lower-case hex digits (common/request_fingerprint.h).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/constants.h"
#include "proto/message_parts.h"

namespace sieve::proto {

// Answers of CACHE_ANSWER, one character per asked fingerprint.
inline constexpr char kCacheHit = 'h';       // known: its label is the next of `labels`
inline constexpr char kCacheClaim = 'c';     // unknown: this lease sends the request
inline constexpr char kCacheWait = 'w';      // another lease is sending it: ask again later
inline constexpr char kCacheAskAgain = 'a';  // not answered in this reply (size): ask again
// Most fingerprints in one CACHE_LOOKUP or CACHE_FILL.
inline constexpr std::size_t kMaxCacheKeys = 1024;

struct CacheLookup {  // CACHE_LOOKUP, W->L
  static constexpr Command kCommand = Command::kCacheLookup;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::string cache_namespace;    // from the ASSIGN's spec (set by the broker)
  std::vector<std::string> keys;  // fingerprints, hex, distinct, at most kMaxCacheKeys

  bool operator==(const CacheLookup&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("namespace", m.cache_namespace, Rule::kRequired);
    v.Field("keys", m.keys, Rule::kRequired);
  }
};

struct CacheAnswer {  // CACHE_ANSWER, L->W
  static constexpr Command kCommand = Command::kCacheAnswer;
  std::uint64_t request_id = 0;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::uint32_t attempt = 0;
  std::string answers;              // one of kCacheHit.. per key asked, in the order asked
  std::vector<std::string> labels;  // the label of every hit, in order

  bool operator==(const CacheAnswer&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("attempt", m.attempt, Rule::kRequired);
    v.Field("answers", m.answers, Rule::kRequired);
    v.Field("labels", m.labels, Rule::kOptional);
  }
};

struct CacheFill {  // CACHE_FILL, W->L, not answered
  static constexpr Command kCommand = Command::kCacheFill;
  std::string job_id;
  std::uint64_t chunk_index = 0;
  std::string cache_namespace;
  std::vector<std::string> keys;     // fingerprints answered with a final, valid label
  std::vector<std::string> labels;   // their labels, in order
  std::vector<std::string> release;  // fingerprints claimed but not answered (error rows)

  bool operator==(const CacheFill&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("job_id", m.job_id, Rule::kJobId);
    v.Field("chunk_index", m.chunk_index, Rule::kRequired);
    v.Field("namespace", m.cache_namespace, Rule::kRequired);
    v.Field("keys", m.keys, Rule::kOptional);
    v.Field("labels", m.labels, Rule::kOptional);
    v.Field("release", m.release, Rule::kOptional);
  }
};

inline constexpr std::string_view kCacheStats = "stats";
inline constexpr std::string_view kCacheClear = "clear";

struct CacheAdmin {  // CACHE_ADMIN, C->L
  static constexpr Command kCommand = Command::kCacheAdmin;
  std::uint64_t request_id = 0;
  std::string action{kCacheStats};  // kCacheStats or kCacheClear
  std::uint64_t older_than_ms = 0;  // clear: only entries written longer ago; 0: all

  bool operator==(const CacheAdmin&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("action", m.action, Rule::kRequired);
    v.Field("older_than_ms", m.older_than_ms, Rule::kOptional);
  }
};

struct CacheAdminReply {  // CACHE_ADMIN_REPLY, L->C
  static constexpr Command kCommand = Command::kCacheAdminReply;
  std::uint64_t request_id = 0;
  std::uint64_t entries = 0;    // entries the asking client can be served (after a clear)
  std::uint64_t bytes = 0;      // their bytes
  std::uint64_t max_bytes = 0;  // the collector's --cache-max-bytes (whole cache)
  std::uint64_t hits = 0;       // since the collector started, all clients
  std::uint64_t misses = 0;
  std::uint64_t waits = 0;
  std::uint64_t evictions = 0;
  std::uint64_t removed = 0;  // clear: entries removed

  bool operator==(const CacheAdminReply&) const = default;
  template <typename M, typename V>
  static void Schema(M& m, V& v) {
    v.Field("request_id", m.request_id, Rule::kRequired);
    v.Field("entries", m.entries, Rule::kRequired);
    v.Field("bytes", m.bytes, Rule::kRequired);
    v.Field("max_bytes", m.max_bytes, Rule::kOptional);
    v.Field("hits", m.hits, Rule::kOptional);
    v.Field("misses", m.misses, Rule::kOptional);
    v.Field("waits", m.waits, Rule::kOptional);
    v.Field("evictions", m.evictions, Rule::kOptional);
    v.Field("removed", m.removed, Rule::kOptional);
  }
};

}  // namespace sieve::proto
