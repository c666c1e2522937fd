// The broker's retention pass: ended jobs evicted from memory and purged from SQLite after
// --purge-after, and everything the broker keeps about a job forgotten with it.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.h"

namespace sieve {
namespace {

constexpr size_t kPurgeBatch = 100;  // jobs deleted per retention pass, so a pass stays short

}  // namespace

void Broker::Retain(int64_t now) {
  if (now < next_retention_ms_) return;
  next_retention_ms_ = now + options_.retention_check_ms;
  for (const std::string& id : book_->EvictEnded()) {
    ForgetJob(id);
    ++counters_.jobs_evicted;
  }
  if (options_.purge_ms < 0) return;
  Result<std::vector<std::string>> purged = book_->Purge(options_.purge_ms, kPurgeBatch);
  if (!purged.ok()) {
    spdlog::error("cannot purge old jobs: {}", purged.status().ToString());
    return;
  }
  for (const std::string& id : *purged) {
    ForgetJob(id);
    ++counters_.jobs_purged;
    spdlog::info("job {} purged (ended more than {} s ago)", id, options_.purge_ms / 1000);
  }
}

void Broker::ForgetJob(const std::string& job_id) {
  auto of_job = [&](const auto& kv) { return kv.first.job_id == job_id; };
  std::erase_if(failed_, of_job);
  std::erase_if(last_failure_, of_job);
  std::erase_if(suspects_, [&](const ChunkKey& key) { return key.job_id == job_id; });
  secrets_.Drop(job_id);
  usage_.Forget(job_id);
  endpoint_tally_.ForgetJob(job_id);
  canary_.Forget(job_id);
  pause_.Forget(job_id);
  budget_.Forget(job_id);
  quota_.Leave(job_id);
  // backoff_ and alone_ entries of the job are skipped when they come up (Dispatchable).
}

}  // namespace sieve
