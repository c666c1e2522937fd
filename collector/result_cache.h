// ResultCache: the cluster's result cache, kept by the collector in `cache.db` (SQLite, WAL)
// in its data dir (docs/architecture.md, "The result cache and dedupe").
//
// DESIGN
// - An entry maps a cache key, SHA-256(namespace, request fingerprint)
//   (common/request_fingerprint.h), to the final, valid label a worker got for that request.
//   Rows: (key BLOB PRIMARY KEY, ns BLOB, label TEXT, bytes, created_ms, last_used_ms); `ns`
//   is the first 8 bytes of SHA-256(namespace), so stats and clear can be limited to the
//   namespaces a client may see without storing client identities.
// - Entries are written only by Fill, from a worker's answer for that exact fingerprint, and
//   read only by key: an entry is either absent or the answer to its request. The first
//   answer stored for a key stays (a later Fill of the same key changes nothing).
// - Bounded: `bytes` of an entry is its label plus kEntryOverhead; when the sum passes
//   max_bytes after a Fill, the least recently used entries (last_used_ms, updated on every
//   hit) are deleted until the sum is at most 90 % of max_bytes.
// - Claims (in memory only): a key looked up and missing is claimed by the asking owner (a
//   job's chunk, "job/chunk") for claim_ttl_ms; another owner asking for it meanwhile is told
//   to wait, so one request is sent for it across the cluster. A Fill or a release ends the
//   claim; an owner asking again renews its own claims. A restart forgets claims: waiters then
//   claim and send (a request paid twice, never a wrong answer).
// - Durability: every Lookup and Fill is one transaction; WAL with synchronous=NORMAL, so a
//   SIGKILLed collector keeps every committed entry (a power loss may lose the last ones:
//   they are asked again).
// - The WAL stays small: no statement is left on a row when a transaction commits (an open
//   read would pin the WAL against the auto-checkpoint), and journal_size_limit truncates it
//   back to 8 MiB after a checkpoint. The bound counts entries, not SQLite's pages and indexes.
//
// Cost: Lookup is O(keys) indexed reads plus one last_used update per hit, in one
// transaction; Fill is O(keys) inserts plus, when over the bound, O(evicted) deletes.
// Thread-safety: not thread-safe; the collector loop owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/request_fingerprint.h"
#include "common/status.h"

struct sqlite3;

namespace sieve {

struct ResultCacheOptions {
  std::string path;                           // the SQLite file (created if missing)
  uint64_t max_bytes = uint64_t{1} << 30;     // --cache-max-bytes
  int64_t claim_ttl_ms = 30'000;
  const Clock* clock = &SystemClock::Get();
};

struct ResultCacheCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;     // keys claimed (the asker sends the request)
  uint64_t waits = 0;      // keys another owner had claimed
  uint64_t fills = 0;      // entries written
  uint64_t evictions = 0;  // entries deleted to stay within max_bytes
};

class ResultCache {
 public:
  static constexpr uint64_t kEntryOverhead = 96;     // key, ns, times, SQLite record
  static constexpr size_t kMaxLabelBytes = 4096;     // a longer label is not cached
  static constexpr size_t kMaxAnswerLabelBytes = 512 << 10;  // labels in one lookup answer

  // Opens (creating) the database and sums its entries. IoError when it cannot be opened.
  static Result<std::unique_ptr<ResultCache>> Open(ResultCacheOptions options);
  ~ResultCache();

  struct Answers {
    std::string answers;              // proto::kCacheHit/Claim/Wait/AskAgain per fingerprint
    std::vector<std::string> labels;  // one per hit, in order
  };
  // Answers every fingerprint for `owner` in `cache_namespace`. Once the hits' labels reach
  // kMaxAnswerLabelBytes, the remaining fingerprints are answered "ask again" (not claimed).
  // A malformed fingerprint (not 64 hex digits) is answered "claim" and not cached.
  Result<Answers> Lookup(std::string_view cache_namespace, std::string_view owner,
                         const std::vector<std::string>& fingerprints);
  // Stores `labels[i]` for `fingerprints[i]` and ends the claims on them and on `release`.
  Status Fill(std::string_view cache_namespace, const std::vector<std::string>& fingerprints,
              const std::vector<std::string>& labels, const std::vector<std::string>& release);

  struct Stats {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  // Entries and bytes in the given namespaces.
  Result<Stats> StatsOf(const std::vector<std::string>& namespaces);
  // Deletes the entries of the given namespaces written before `before_wall_ms` (0: all);
  // returns how many.
  Result<uint64_t> Clear(const std::vector<std::string>& namespaces, int64_t before_wall_ms);

  uint64_t total_bytes() const { return total_bytes_; }
  uint64_t total_entries() const { return total_entries_; }
  uint64_t max_bytes() const { return options_.max_bytes; }
  const ResultCacheCounters& counters() const { return counters_; }

 private:
  struct Claim {
    std::string owner;
    int64_t expires_ms = 0;
  };
  explicit ResultCache(ResultCacheOptions options) : options_(std::move(options)) {}
  Status Exec(const char* sql);
  Status Recount();
  Status EvictIfOver();  // inside the caller's transaction
  void ExpireClaims(int64_t now);

  ResultCacheOptions options_;
  sqlite3* db_ = nullptr;
  uint64_t total_bytes_ = 0;
  uint64_t total_entries_ = 0;
  ResultCacheCounters counters_;
  std::unordered_map<std::string, Claim> claims_;  // by key bytes
  int64_t next_claim_sweep_ms_ = 0;
};

}  // namespace sieve
