// The broker's periodic liveness work: heartbeats, dead peers, expired leases, lost chunks
// handed back with backoff, the poison-pill rule, and failed chunks resent to the collector
// (docs/reliability.md).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.h"
#include "broker/failed_chunk.h"

namespace sieve {
namespace {

std::vector<std::string> SplitNames(const std::string& joined) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) names.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& n : names) joined += (joined.empty() ? "" : ",") + n;
  return joined;
}

std::string PoisonReason(const std::vector<std::string>& names, uint32_t losses) {
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  return "poison pill: the last " + std::to_string(names.size()) +
         " worker deaths in the cluster were each a different worker holding this chunk alone (" +
         list + "), with no other worker death in between; lost " + std::to_string(losses) +
         " times in all";
}

}  // namespace

void Broker::SendHeartbeats(int64_t now) {
  if (now < next_heartbeat_ms_) return;
  next_heartbeat_ms_ = now + options_.heartbeat_ms;
  for (const auto& [id, worker] : workers_) Reply(id, proto::Heartbeat{});
  if (collector_connected()) Reply(collector_id_, proto::Heartbeat{});
}

void Broker::ReapDeadPeers(int64_t now) {
  int64_t silence = static_cast<int64_t>(options_.heartbeat_ms) * options_.liveness;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (now - it->second.last_seen_ms <= silence) {
      ++it;
      continue;
    }
    spdlog::warn("worker {} silent for {} ms: requeueing its chunks", it->second.name,
                 now - it->second.last_seen_ms);
    ++counters_.workers_lost;
    std::string id = it->first;
    std::string name = it->second.name;
    it = workers_.erase(it);
    quota_.WorkerGone(id);
    endpoint_tally_.WorkerGone(id);
    std::vector<Lease> held = leases_.TakeByWorker(id);
    RecordDeath(name, held);
    for (const Lease& lease : held) HandBack(lease, LeaseEnd::kLost, "worker lost");
  }
  if (collector_connected() && now - collector_.last_seen_ms > silence) {
    spdlog::warn("collector at {} silent: pausing dispatch", collector_.endpoint);
    collector_id_.clear();
  }
}

void Broker::ExpireLeases(int64_t now) {
  for (const Lease& lease : leases_.TakeExpired(now)) {
    ++counters_.leases_expired;
    spdlog::warn("job {} chunk {}: lease {} expired", lease.chunk.job_id, lease.chunk.chunk_index,
                 lease.attempt);
    HandBack(lease, LeaseEnd::kLost, "lease expired");
  }
}

void Broker::HandBack(const Lease& lease, LeaseEnd end, const std::string& reason) {
  ChunkRecord* chunk = book_->FindChunk(lease.chunk);
  JobEntry* job = book_->Find(lease.chunk.job_id);
  if (chunk == nullptr || chunk->state == ChunkState::kCommitted || !job->active() ||
      failed_.contains(lease.chunk)) {
    return;
  }
  if (end != LeaseEnd::kReturned) {
    if (end == LeaseEnd::kFailed) {
      ++chunk->failures;
      last_failure_[lease.chunk] = reason;
    } else {
      ++chunk->losses;
      ++counters_.leases_lost;
    }
    Status s = book_->SaveAttempts(*chunk);
    if (!s.ok()) spdlog::error("cannot record the end of a lease: {}", s.ToString());
  }
  if (chunk->failures >= job->spec.max_attempts) {
    spdlog::error("job {} chunk {} failed {} times ({}): labelling its rows as errors",
                  lease.chunk.job_id, lease.chunk.chunk_index, chunk->failures, reason);
    failed_[lease.chunk] = FailedChunk{chunk->row_count, 0,
                                       "chunk failed after " + std::to_string(chunk->failures) +
                                           " attempts (last: " + reason + ")"};
    return;
  }
  ++counters_.redeliveries;
  if (end == LeaseEnd::kLost) {
    int64_t wait = LostBackoffMs(chunk->losses);
    spdlog::info("job {} chunk {}: {} (lost {} times): runs again alone in {} ms",
                 lease.chunk.job_id, lease.chunk.chunk_index, reason, chunk->losses, wait);
    backoff_.emplace(options_.clock->NowMs() + wait, lease.chunk);
    return;
  }
  book_->Requeue(lease.chunk);
}

int64_t Broker::LostBackoffMs(uint32_t losses) const {
  int64_t wait = int64_t{options_.lost_backoff_ms} << std::min<uint32_t>(losses - 1, 20);
  return std::min<int64_t>(wait, options_.lost_backoff_max_ms);
}

void Broker::RequeueDue(int64_t now) {
  while (!backoff_.empty() && backoff_.begin()->first <= now) {
    alone_.push_back(backoff_.begin()->second);
    backoff_.erase(backoff_.begin());
  }
}

void Broker::RecordDeath(const std::string& name, const std::vector<Lease>& held) {
  std::optional<ChunkKey> alone;
  if (held.size() == 1 && held[0].alone) alone = held[0].chunk;
  // Any other death breaks every other chunk's run of deaths.
  for (auto it = suspects_.begin(); it != suspects_.end();) {
    if (alone && *it == *alone) {
      ++it;
      continue;
    }
    if (ChunkRecord* chunk = book_->FindChunk(*it)) {
      chunk->deaths.clear();
      Status s = book_->SaveAttempts(*chunk);
      if (!s.ok()) spdlog::error("cannot record poison evidence: {}", s.ToString());
    }
    it = suspects_.erase(it);
  }
  if (!alone || options_.poison_deaths == 0) return;
  ChunkRecord* chunk = book_->FindChunk(*alone);
  if (chunk == nullptr || chunk->state == ChunkState::kCommitted) return;
  std::string clean = name;
  std::replace(clean.begin(), clean.end(), ',', ';');
  std::vector<std::string> names = SplitNames(chunk->deaths);
  if (std::find(names.begin(), names.end(), clean) == names.end()) names.push_back(clean);
  chunk->deaths = JoinNames(names);
  Status s = book_->SaveAttempts(*chunk);
  if (!s.ok()) spdlog::error("cannot record poison evidence: {}", s.ToString());
  suspects_.insert(*alone);
  spdlog::warn("job {} chunk {}: worker {} died holding it alone ({} of {} deaths in a row)",
               alone->job_id, alone->chunk_index, name, names.size(), options_.poison_deaths);
  if (names.size() >= options_.poison_deaths) {
    ++counters_.chunks_poisoned;
    Isolate(*alone, *chunk, PoisonReason(names, chunk->losses + 1));
  }
}

void Broker::Isolate(const ChunkKey& key, const ChunkRecord& chunk, const std::string& reason) {
  spdlog::error("job {} chunk {}: isolated, its rows are labelled as errors: {}", key.job_id,
                key.chunk_index, reason);
  suspects_.erase(key);
  failed_[key] = FailedChunk{chunk.row_count, 0, reason};
}

void Broker::RecoverChunkVerdicts() {
  for (const auto& [id, job] : book_->jobs()) {
    if (!job.active()) continue;
    for (const ChunkRecord& chunk : job.chunks) {
      if (chunk.state == ChunkState::kCommitted) continue;
      ChunkKey key{chunk.job_id, chunk.chunk_index};
      std::vector<std::string> names = SplitNames(chunk.deaths);
      if (chunk.failures >= job.spec.max_attempts) {
        failed_[key] = FailedChunk{chunk.row_count, 0,
                                   "chunk failed after " + std::to_string(chunk.failures) +
                                       " attempts"};
      } else if (options_.poison_deaths > 0 && names.size() >= options_.poison_deaths) {
        Isolate(key, chunk, PoisonReason(names, chunk.losses));
      } else if (!names.empty()) {
        suspects_.insert(key);
      }
    }
  }
}

void Broker::ResendFailedChunks(int64_t now) {
  if (!collector_connected()) return;
  for (auto& [key, failed] : failed_) {
    if (now < failed.next_send_ms) continue;
    failed.next_send_ms = now + options_.failed_resend_ms;
    ChunkRecord* chunk = book_->FindChunk(key);
    JobEntry* job = book_->Find(key.job_id);
    if (chunk == nullptr) continue;
    Result<std::string> bytes = book_->ChunkBytes(key);
    if (!bytes.ok()) {
      spdlog::error("job {} chunk {}: {}", key.job_id, key.chunk_index, bytes.status().ToString());
      continue;
    }
    Result<proto::ChunkResult> result =
        BuildFailedResult(*chunk, *bytes, job->spec.error_label, failed.reason);
    if (!result.ok()) {
      spdlog::error("job {} chunk {}: {}", key.job_id, key.chunk_index,
                    result.status().ToString());
      continue;
    }
    Reply(collector_id_, std::move(*result));
  }
}

}  // namespace sieve
