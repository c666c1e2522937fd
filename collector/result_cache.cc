#include "collector/result_cache.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

#include "proto/cache_messages.h"

namespace sieve {
namespace {

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      status_ = Status::IoError(std::string("cache.db: ") + sqlite3_errmsg(db) + " in " + sql);
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  const Status& status() const { return status_; }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // True when a row is there.
  Result<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Status::IoError(std::string("cache.db: ") + sqlite3_errmsg(db_));
  }
  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  std::string Text(int c) const {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                : std::string();
  }
  std::string Blob(int c) const {
    const void* blob = sqlite3_column_blob(stmt_, c);
    return blob ? std::string(static_cast<const char*>(blob),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

std::string Bytes(const Fingerprint& f) {
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

// The stored namespace tag: the first 8 bytes of SHA-256(namespace).
std::string NamespaceTag(std::string_view cache_namespace) {
  return Bytes(Sha256(cache_namespace)).substr(0, 8);
}

// The key of a hex fingerprint; false when it is malformed or all zero.
bool KeyOf(std::string_view cache_namespace, std::string_view hex, std::string* key) {
  Fingerprint fp{};
  if (!FromHex(hex, &fp) || fp == Fingerprint{}) return false;
  *key = Bytes(CacheKey(cache_namespace, fp));
  return true;
}

// Commits on Commit(), rolls back otherwise.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    ok_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (ok_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Status Begun() const {
    return ok_ ? Status::Ok()
               : Status::IoError(std::string("cache.db: cannot begin: ") + sqlite3_errmsg(db_));
  }
  Status Commit() {
    done_ = true;
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) return Status::Ok();
    Status s = Status::IoError(std::string("cache.db: cannot commit: ") + sqlite3_errmsg(db_));
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<ResultCache>> ResultCache::Open(ResultCacheOptions options) {
  std::unique_ptr<ResultCache> cache(new ResultCache(std::move(options)));
  // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database
  // file's mode, so all three stay private whatever the umask (common/private_dir.h).
  if (int fd = ::open(cache->options_.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      fd >= 0) {
    ::close(fd);
  }
  if (sqlite3_open_v2(cache->options_.path.c_str(), &cache->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return Status::IoError("cannot open " + cache->options_.path + ": " +
                           (cache->db_ ? sqlite3_errmsg(cache->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(cache->db_, 5000);
  SIEVE_RETURN_IF_ERROR(cache->Exec("PRAGMA journal_mode=WAL"));
  SIEVE_RETURN_IF_ERROR(cache->Exec("PRAGMA synchronous=NORMAL"));
  // After a checkpoint resets the WAL, a file grown past this by one large transaction is
  // truncated back to it (without it the -wal file keeps its high-water size).
  SIEVE_RETURN_IF_ERROR(cache->Exec("PRAGMA journal_size_limit=8388608"));
  SIEVE_RETURN_IF_ERROR(cache->Exec(
      "CREATE TABLE IF NOT EXISTS cache (key BLOB PRIMARY KEY, ns BLOB NOT NULL, "
      "label TEXT NOT NULL, bytes INTEGER NOT NULL, created_ms INTEGER NOT NULL, "
      "last_used_ms INTEGER NOT NULL) WITHOUT ROWID"));
  SIEVE_RETURN_IF_ERROR(
      cache->Exec("CREATE INDEX IF NOT EXISTS cache_lru ON cache (last_used_ms)"));
  SIEVE_RETURN_IF_ERROR(cache->Exec("CREATE INDEX IF NOT EXISTS cache_ns ON cache (ns)"));
  SIEVE_RETURN_IF_ERROR(cache->Recount());
  // A smaller --cache-max-bytes than last time applies at once.
  Transaction tx(cache->db_);
  SIEVE_RETURN_IF_ERROR(tx.Begun());
  SIEVE_RETURN_IF_ERROR(cache->EvictIfOver());
  SIEVE_RETURN_IF_ERROR(tx.Commit());
  return cache;
}

ResultCache::~ResultCache() { sqlite3_close(db_); }

Status ResultCache::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
  Status s = Status::IoError(std::string("cache.db: ") + (error ? error : "error") + " in " + sql);
  sqlite3_free(error);
  return s;
}

Status ResultCache::Recount() {
  Stmt sum(db_, "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cache");
  SIEVE_RETURN_IF_ERROR(sum.status());
  Result<bool> row = sum.Step();
  if (!row.ok()) return row.status();
  total_entries_ = static_cast<uint64_t>(sum.Int(0));
  total_bytes_ = static_cast<uint64_t>(sum.Int(1));
  return Status::Ok();
}

void ResultCache::ExpireClaims(int64_t now) {
  if (now < next_claim_sweep_ms_) return;
  next_claim_sweep_ms_ = now + 1000;
  std::erase_if(claims_, [&](const auto& kv) { return kv.second.expires_ms <= now; });
}

Result<ResultCache::Answers> ResultCache::Lookup(std::string_view cache_namespace,
                                                 std::string_view owner,
                                                 const std::vector<std::string>& fingerprints) {
  const int64_t now = options_.clock->NowMs();
  const int64_t wall = options_.clock->WallMs();
  ExpireClaims(now);
  Transaction tx(db_);
  SIEVE_RETURN_IF_ERROR(tx.Begun());
  Stmt select(db_, "SELECT label FROM cache WHERE key = ?1");
  Stmt touch(db_, "UPDATE cache SET last_used_ms = ?2 WHERE key = ?1");
  SIEVE_RETURN_IF_ERROR(select.status());
  SIEVE_RETURN_IF_ERROR(touch.status());
  Answers out;
  out.answers.reserve(fingerprints.size());
  size_t label_bytes = 0;
  std::string key;
  for (const std::string& hex : fingerprints) {
    if (label_bytes >= kMaxAnswerLabelBytes) {
      out.answers.push_back(proto::kCacheAskAgain);
      continue;
    }
    if (!KeyOf(cache_namespace, hex, &key)) {
      ++counters_.misses;
      out.answers.push_back(proto::kCacheClaim);
      continue;
    }
    select.Reset();
    select.BindBlob(1, key);
    Result<bool> found = select.Step();
    if (!found.ok()) return found.status();
    if (*found) {
      ++counters_.hits;
      out.answers.push_back(proto::kCacheHit);
      out.labels.push_back(select.Text(0));
      // Reset at once: a statement still on a row at COMMIT keeps its read transaction open
      // past the commit, so the auto-checkpoint cannot reset the WAL, which then grows by
      // every hit's page writes (4.3 GB in a fully cached 1,000,000-row re-run).
      select.Reset();
      label_bytes += out.labels.back().size();
      touch.Reset();
      touch.BindBlob(1, key);
      touch.Bind(2, wall);
      Result<bool> touched = touch.Step();
      if (!touched.ok()) return touched.status();
      continue;
    }
    auto [claim, fresh] = claims_.try_emplace(key);
    if (!fresh && claim->second.owner != owner && claim->second.expires_ms > now) {
      ++counters_.waits;
      out.answers.push_back(proto::kCacheWait);
      continue;
    }
    claim->second.owner = std::string(owner);
    claim->second.expires_ms = now + options_.claim_ttl_ms;
    ++counters_.misses;
    out.answers.push_back(proto::kCacheClaim);
  }
  SIEVE_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Status ResultCache::Fill(std::string_view cache_namespace,
                         const std::vector<std::string>& fingerprints,
                         const std::vector<std::string>& labels,
                         const std::vector<std::string>& release) {
  if (fingerprints.size() != labels.size()) {
    return Status::InvalidArgument("CACHE_FILL: keys and labels differ in number");
  }
  const int64_t wall = options_.clock->WallMs();
  const std::string tag = NamespaceTag(cache_namespace);
  std::string key;
  for (const std::string& hex : release) {
    if (KeyOf(cache_namespace, hex, &key)) claims_.erase(key);
  }
  Transaction tx(db_);
  SIEVE_RETURN_IF_ERROR(tx.Begun());
  Stmt insert(db_,
              "INSERT INTO cache (key, ns, label, bytes, created_ms, last_used_ms) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (key) DO NOTHING");
  SIEVE_RETURN_IF_ERROR(insert.status());
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    if (!KeyOf(cache_namespace, fingerprints[i], &key)) continue;
    claims_.erase(key);
    if (labels[i].size() > kMaxLabelBytes) continue;
    const uint64_t bytes = labels[i].size() + kEntryOverhead;
    insert.Reset();
    insert.BindBlob(1, key);
    insert.BindBlob(2, tag);
    insert.BindText(3, labels[i]);
    insert.Bind(4, static_cast<int64_t>(bytes));
    insert.Bind(5, wall);
    Result<bool> done = insert.Step();
    if (!done.ok()) return done.status();
    if (sqlite3_changes(db_) > 0) {
      total_bytes_ += bytes;
      ++total_entries_;
      ++counters_.fills;
    }
  }
  SIEVE_RETURN_IF_ERROR(EvictIfOver());
  return tx.Commit();
}

Status ResultCache::EvictIfOver() {
  if (total_bytes_ <= options_.max_bytes) return Status::Ok();
  const uint64_t target = options_.max_bytes / 10 * 9;
  Stmt oldest(db_, "SELECT key, bytes FROM cache ORDER BY last_used_ms LIMIT 512");
  Stmt remove(db_, "DELETE FROM cache WHERE key = ?1");
  SIEVE_RETURN_IF_ERROR(oldest.status());
  SIEVE_RETURN_IF_ERROR(remove.status());
  while (total_bytes_ > target) {
    std::vector<std::pair<std::string, uint64_t>> batch;
    oldest.Reset();
    while (true) {
      Result<bool> row = oldest.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      batch.emplace_back(oldest.Blob(0), static_cast<uint64_t>(oldest.Int(1)));
    }
    oldest.Reset();
    if (batch.empty()) break;
    for (const auto& [key, bytes] : batch) {
      if (total_bytes_ <= target) break;
      remove.Reset();
      remove.BindBlob(1, key);
      Result<bool> done = remove.Step();
      if (!done.ok()) return done.status();
      total_bytes_ -= std::min(total_bytes_, bytes);
      --total_entries_;
      ++counters_.evictions;
    }
  }
  return Status::Ok();
}

Result<ResultCache::Stats> ResultCache::StatsOf(const std::vector<std::string>& namespaces) {
  Stats stats;
  Stmt sum(db_, "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cache WHERE ns = ?1");
  SIEVE_RETURN_IF_ERROR(sum.status());
  for (const std::string& ns : namespaces) {
    sum.Reset();
    sum.BindBlob(1, NamespaceTag(ns));
    Result<bool> row = sum.Step();
    if (!row.ok()) return row.status();
    stats.entries += static_cast<uint64_t>(sum.Int(0));
    stats.bytes += static_cast<uint64_t>(sum.Int(1));
  }
  return stats;
}

Result<uint64_t> ResultCache::Clear(const std::vector<std::string>& namespaces,
                                    int64_t before_wall_ms) {
  uint64_t removed = 0;
  {
    Transaction tx(db_);
    SIEVE_RETURN_IF_ERROR(tx.Begun());
    Stmt remove(db_, "DELETE FROM cache WHERE ns = ?1 AND created_ms < ?2");
    SIEVE_RETURN_IF_ERROR(remove.status());
    for (const std::string& ns : namespaces) {
      remove.Reset();
      remove.BindBlob(1, NamespaceTag(ns));
      remove.Bind(2, before_wall_ms > 0 ? before_wall_ms : INT64_MAX);
      Result<bool> done = remove.Step();
      if (!done.ok()) return done.status();
      removed += static_cast<uint64_t>(sqlite3_changes(db_));
    }
    SIEVE_RETURN_IF_ERROR(tx.Commit());
  }
  SIEVE_RETURN_IF_ERROR(Recount());
  return removed;
}

}  // namespace sieve
