// The collector's result-cache commands (CACHE_LOOKUP, CACHE_FILL, CACHE_ADMIN): the hooks the
// collector loop calls, kept beside collector.cc. The cache itself: collector/result_cache.h.
#include <spdlog/spdlog.h>

#include "collector/collector.h"
#include "net/zmq_io.h"

namespace sieve {

Status Collector::OpenCache() {
  ResultCacheOptions o;
  o.path = options_.data_dir + "/cache.db";
  o.max_bytes = options_.cache_max_bytes;
  o.clock = options_.clock;
  Result<std::unique_ptr<ResultCache>> cache = ResultCache::Open(std::move(o));
  if (!cache.ok()) return cache.status();
  cache_ = std::move(*cache);
  spdlog::info("result cache: {} entries, {} bytes (max {})", cache_->total_entries(),
               cache_->total_bytes(), cache_->max_bytes());
  return Status::Ok();
}

void Collector::OnCacheLookup(const std::string& peer, const proto::CacheLookup& lookup) {
  proto::CacheAnswer answer;
  answer.request_id = lookup.request_id;
  answer.job_id = lookup.job_id;
  answer.chunk_index = lookup.chunk_index;
  answer.attempt = lookup.attempt;
  const std::string owner = lookup.job_id + "/" + std::to_string(lookup.chunk_index);
  Result<ResultCache::Answers> answers =
      lookup.keys.size() > proto::kMaxCacheKeys
          ? Result<ResultCache::Answers>(Status::TooLarge("too many keys in one CACHE_LOOKUP"))
          : cache_->Lookup(lookup.cache_namespace, owner, lookup.keys);
  if (answers.ok()) {
    answer.answers = std::move(answers->answers);
    answer.labels = std::move(answers->labels);
  } else {
    // The worker sends every request itself: the job goes on without the cache.
    spdlog::error("job {} chunk {}: cache lookup failed, answering 'claim': {}", lookup.job_id,
                  lookup.chunk_index, answers.status().ToString());
    answer.answers.assign(lookup.keys.size(), proto::kCacheClaim);
  }
  Status s = SendMessage(router_, peer, std::move(answer));
  if (!s.ok()) spdlog::debug("cannot answer a cache lookup: {}", s.ToString());
}

void Collector::OnCacheFill(const proto::CacheFill& fill) {
  Status s = fill.keys.size() > proto::kMaxCacheKeys
                 ? Status::TooLarge("too many keys in one CACHE_FILL")
                 : cache_->Fill(fill.cache_namespace, fill.keys, fill.labels, fill.release);
  if (!s.ok()) {
    // Not cached: the rows were labelled all the same; a later job asks the endpoint again.
    spdlog::warn("job {} chunk {}: cache fill failed: {}", fill.job_id, fill.chunk_index,
                 s.ToString());
  }
}

void Collector::OnCacheAdmin(const std::string& peer, const std::string& user_id,
                             const proto::CacheAdmin& admin) {
  // A client sees its own namespace (its CURVE identity, as the broker names it, or "local")
  // and the shared one (the broker's --shared-cache).
  const std::vector<std::string> namespaces{user_id.empty() ? "local" : user_id, "shared"};
  proto::CacheAdminReply reply;
  reply.request_id = admin.request_id;
  if (admin.action == proto::kCacheClear) {
    const int64_t before =
        admin.older_than_ms > 0 ? options_.clock->WallMs() - static_cast<int64_t>(admin.older_than_ms)
                                : 0;
    if (admin.older_than_ms > 0 && before <= 0) {
      reply.removed = 0;  // nothing is that old
    } else {
      Result<uint64_t> removed = cache_->Clear(namespaces, before);
      if (!removed.ok()) {
        SendError(router_, peer, admin.request_id, removed.status());
        return;
      }
      reply.removed = *removed;
      spdlog::info("result cache: {} entries cleared by a client", *removed);
    }
  } else if (admin.action != proto::kCacheStats) {
    SendError(router_, peer, admin.request_id,
              Status::InvalidArgument("CACHE_ADMIN action must be 'stats' or 'clear'"));
    return;
  }
  Result<ResultCache::Stats> stats = cache_->StatsOf(namespaces);
  if (!stats.ok()) {
    SendError(router_, peer, admin.request_id, stats.status());
    return;
  }
  const ResultCacheCounters& c = cache_->counters();
  reply.entries = stats->entries;
  reply.bytes = stats->bytes;
  reply.max_bytes = cache_->max_bytes();
  reply.hits = c.hits;
  reply.misses = c.misses;
  reply.waits = c.waits;
  reply.evictions = c.evictions;
  Status s = SendMessage(router_, peer, std::move(reply));
  if (!s.ok()) spdlog::debug("cannot answer CACHE_ADMIN: {}", s.ToString());
}

}  // namespace sieve
