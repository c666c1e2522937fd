// The broker's dispatch pass: which chunk goes to which worker, through the gates (secrets,
// budgets, canary, pause, quotas) and the lost-chunk rules (docs/architecture.md, "Dispatch").
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "broker/broker.h"
#include "net/zmq_io.h"

namespace sieve {

void Broker::Dispatch(int64_t now) {
  if (!collector_connected()) return;
  std::vector<ChunkKey> unparked = secrets_.Unpark(now);
  for (auto it = unparked.rbegin(); it != unparked.rend(); ++it) book_->Requeue(*it);
  const std::set<std::string> reserved = DispatchAlone(now);
  while (book_->queued() > 0) {
    // The worker with the most free credit takes the next chunk: spreads load evenly. Workers
    // reserved for, or running, a chunk alone take nothing else.
    auto best = workers_.end();
    for (auto it = workers_.begin(); it != workers_.end(); ++it) {
      if (it->second.credit == 0 || reserved.contains(it->first) ||
          (best != workers_.end() && it->second.credit <= best->second.credit) ||
          leases_.HoldsAlone(it->first)) {
        continue;
      }
      best = it;
    }
    if (best == workers_.end()) return;
    std::optional<ChunkKey> key = book_->NextQueued();
    if (!key) return;
    if (!Dispatchable(*key)) continue;
    if (secrets_.Park(*book_->Find(key->job_id), *key, now)) continue;  // broker/job_secrets.h
    if (canary_.Hold(*book_->Find(key->job_id), *key)) continue;        // broker/canary.h
    if (pause_.Hold(*book_->Find(key->job_id), *key)) continue;         // broker/pause_gate.h
    if (book_->FindChunk(*key)->losses > 0) {  // lost before (or before a restart): alone
      alone_.push_back(*key);
      continue;
    }
    if (!AdmitByBudget(*key)) continue;  // kept by the budget gate (broker_budget.cc)
    if (!AssignTo(best->first, best->second, *key, now)) {
      book_->Requeue(*key);
      return;
    }
  }
}

std::set<std::string> Broker::DispatchAlone(int64_t now) {
  std::set<std::string> reserved;
  std::erase_if(alone_, [&](const ChunkKey& key) { return !Dispatchable(key); });
  std::erase_if(alone_, [&](const ChunkKey& key) {  // a paused job's: parked (pause_gate.h)
    return pause_.Hold(*book_->Find(key.job_id), key);
  });
  for (auto it = alone_.begin(); it != alone_.end();) {
    // Its worker: the one with the fewest leases (it frees up first), neither reserved for
    // another such chunk nor running one.
    auto pick = workers_.end();
    size_t fewest = SIZE_MAX;
    for (auto w = workers_.begin(); w != workers_.end(); ++w) {
      if (reserved.contains(w->first) || leases_.HoldsAlone(w->first)) continue;
      size_t n = leases_.CountByWorker(w->first);
      if (n == 0 && w->second.credit == 0) continue;  // paused: nothing to drain, takes nothing
      if (n < fewest || (n == fewest && w->second.credit > pick->second.credit)) {
        pick = w;
        fewest = n;
      }
    }
    if (pick == workers_.end()) break;
    if (fewest == 0 && pick->second.credit > 0 && !AdmitByBudget(*it)) {
      it = alone_.erase(it);  // kept by the budget gate; it comes back through the queue
      continue;
    }
    if (fewest == 0 && pick->second.credit > 0 &&
        AssignTo(pick->first, pick->second, *it, now, /*alone=*/true)) {
      it = alone_.erase(it);
      continue;
    }
    reserved.insert(pick->first);
    ++it;
  }
  return reserved;
}

bool Broker::Dispatchable(const ChunkKey& key) {
  const ChunkRecord* chunk = book_->FindChunk(key);
  const JobEntry* job = book_->Find(key.job_id);
  return chunk != nullptr && job != nullptr && job->active() &&
         chunk->state == ChunkState::kQueued && !failed_.contains(key) &&
         !leases_.Find(key).has_value();
}

bool Broker::AssignTo(const std::string& worker_id, Worker& worker, const ChunkKey& key,
                      int64_t now, bool alone) {
  const auto started = std::chrono::steady_clock::now();
  JobEntry* job = book_->Find(key.job_id);
  ChunkRecord* chunk = book_->FindChunk(key);
  Result<std::string> bytes = book_->ChunkBytes(key);
  if (!bytes.ok()) {
    spdlog::error("job {} chunk {}: spool unreadable: {}", key.job_id, key.chunk_index,
                  bytes.status().ToString());
    return false;
  }
  ++chunk->attempts;
  proto::Assign assign;
  assign.job_id = key.job_id;
  assign.chunk_index = key.chunk_index;
  assign.attempt = chunk->attempts;
  assign.first_row = chunk->first_row;
  assign.row_count = chunk->row_count;
  assign.lease_ms = options_.lease_ms;
  assign.collector = collector_.endpoint;
  assign.collector_public_key = collector_.public_key;
  assign.spec = secrets_.SpecForWorker(*job);
  // The result cache's namespace is the broker's to say, never the client's (security.md).
  assign.spec.cache_namespace = options_.shared_cache ? "shared" : job->record.client;
  assign.header_record = job->record.header;
  assign.chunk = std::move(*bytes);
  assign.canary = canary_.IsCanary(key);
  Status sent = SendMessage(socket_, worker_id, std::move(assign));
  if (!sent.ok()) {
    --chunk->attempts;
    spdlog::warn("cannot send a chunk to worker {}: {}", worker.name, sent.ToString());
    worker.credit = 0;  // it will be reaped or re-announce credit
    return false;
  }
  Status saved = book_->SaveAttempts(*chunk);
  if (!saved.ok()) spdlog::error("cannot record a lease: {}", saved.ToString());
  --worker.credit;
  leases_.Grant(Lease{key, chunk->attempts, worker_id, now, now + options_.lease_ms, alone});
  if (alone) {
    spdlog::info("job {} chunk {}: attempt {} runs alone on worker {}", key.job_id,
                 key.chunk_index, chunk->attempts, worker.name);
  }
  ++counters_.chunks_dispatched;
  metrics_.ObserveDispatch(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return true;
}

}  // namespace sieve
