// The broker's client requests: SUBMIT, CHUNK and SEAL (spooling a job), STATUS, WORKERS and
// CANCEL, and the status published to the metrics thread.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.h"
#include "net/zmq_io.h"
#include "common/redact.h"

namespace sieve {
namespace {

constexpr size_t kMaxListedJobs = 2000;  // jobs in one STATUS reply without a job id

}  // namespace

Broker::ClientUsage Broker::UsageOf(const std::string& client) const {
  ClientUsage usage;
  for (const auto& [id, job] : book_->jobs()) {
    if (job.record.client != client || !job.active()) continue;
    ++usage.jobs;
    for (const ChunkRecord& c : job.chunks) {
      usage.spool_bytes += c.state == ChunkState::kQueued ? c.bytes : 0;
    }
  }
  return usage;
}

Status Broker::CheckSpoolLimit(const std::string& client, uint64_t more_bytes) const {
  uint64_t bytes = UsageOf(client).spool_bytes;
  if (bytes + more_bytes <= options_.max_spool_bytes_per_client) return Status::Ok();
  return Status::TooLarge("this client's jobs would hold " + std::to_string(bytes + more_bytes) +
                          " bytes in the broker's spool (limit " +
                          std::to_string(options_.max_spool_bytes_per_client) +
                          "); wait for its jobs to progress, or raise "
                          "--max-spool-bytes-per-client");
}

void Broker::OnSubmit(const std::string& peer, const std::string& client,
                      const proto::Submit& submit) {
  Status limits = CheckSpoolLimit(client, 0);
  if (limits.ok() && UsageOf(client).jobs >= options_.max_jobs_per_client) {
    limits = Status::TooLarge("this client already has " + std::to_string(UsageOf(client).jobs) +
                              " jobs in flight (limit " +
                              std::to_string(options_.max_jobs_per_client) +
                              "); wait for one to finish or cancel one");
  }
  if (limits.ok()) {
    Result<QuotaLimits> asked = LimitsOfSpec(submit.spec);  // a bad --rate is refused up front
    if (!asked.ok()) limits = asked.status();
  }
  if (!limits.ok()) {
    spdlog::warn("refused a job from {}: {}", client.substr(0, 16), limits.message());
    Refuse(peer, submit.request_id, limits);
    return;
  }
  // Credential headers stay in memory (broker/job_secrets.h): the stored spec names them only.
  proto::Submit stored = submit;
  if (!stored.spec.retry_of.empty()) {
    Status retry = SpecForRetry(client, stored.spec);
    if (!retry.ok()) {
      Refuse(peer, submit.request_id, retry);
      return;
    }
  }
  std::vector<std::string> credentials = TakeCredentialHeaders(stored.spec);
  Result<std::string> id = book_->Create(stored, client);
  if (!id.ok()) {
    Refuse(peer, submit.request_id, id.status());
    return;
  }
  if (!credentials.empty()) secrets_.Put(*id, std::move(credentials));
  Status joined = quota_.Join(*id, stored.spec);  // checked above: cannot fail
  if (!joined.ok()) spdlog::error("job {}: {}", *id, joined.ToString());
  spdlog::info("job {} ({}) submitted, endpoint {}", *id, stored.spec.name,
               RedactUrl(stored.spec.endpoint));
  if (collector_connected()) OpenJobAtCollector(*book_->Find(*id));
  Reply(peer, proto::Submitted{submit.request_id, *id, options_.client_credit});
}

bool Broker::OwnsJob(const std::string& client, const std::string& job_id) const {
  const JobEntry* job = book_->Find(job_id);
  return job == nullptr || job->record.client == client;  // unknown jobs are refused later
}

void Broker::OnChunk(const std::string& peer, const std::string& client,
                     const proto::Chunk& chunk) {
  Status s = OwnsJob(client, chunk.job_id)
                 ? CheckSpoolLimit(client, chunk.chunk.size())
                 : Status::PermissionDenied("job " + chunk.job_id + " belongs to another client");
  if (s.ok()) s = book_->AddChunk(chunk);
  if (!s.ok()) {
    spdlog::warn("job {} chunk {} refused: {}", chunk.job_id, chunk.chunk_index, s.ToString());
    Refuse(peer, std::nullopt, s);
    return;
  }
  Reply(peer, proto::ChunkAck{chunk.job_id, chunk.chunk_index, options_.client_credit});
}

void Broker::OnSeal(const std::string& peer, const proto::Seal& seal) {
  Status s = book_->Seal(seal);
  if (!s.ok()) {
    Refuse(peer, std::nullopt, s);
    return;
  }
  spdlog::info("job {} sealed: {} chunks, {} rows", seal.job_id, seal.total_chunks,
               seal.total_rows);
  PauseIfPausedOpen(seal.job_id);  // broker_pause.cc
  if (collector_connected()) {
    Reply(collector_id_, proto::JobSealed{seal.job_id, seal.total_chunks, seal.total_rows});
  }
  Reply(peer, proto::Sealed{seal.job_id});
}

proto::JobStatus Broker::StatusOf(const JobRecord& record, uint64_t chunks_committed,
                                  uint64_t chunks_failed) const {
  proto::JobStatus s;
  s.job_id = record.job_id;
  s.name = record.name;
  s.state = record.state;
  s.total_rows = record.total_rows;
  s.done_rows = record.done_rows;
  s.error_rows = record.error_rows;
  s.chunks_total = record.total_chunks;
  s.chunks_done = chunks_committed;
  s.chunks_failed = chunks_failed;
  s.created_unix_ms = static_cast<uint64_t>(record.created_ms);
  s.finished_unix_ms = static_cast<uint64_t>(record.finished_ms);
  s.output_path = record.output_path;
  // Why it failed (a canary's verdict quotes the endpoint's answer), or why it paused (the
  // endpoint's refusal); never a secret.
  if (record.state == JobState::kFailed || record.state == JobState::kPaused) {
    s.message = record.message;
  }
  s.collector = collector_.endpoint;
  s.collector_public_key = collector_.public_key;
  return s;
}

proto::JobStatus Broker::StatusOf(const JobEntry& job) const {
  proto::JobStatus s = StatusOf(job.record, job.chunks_committed, job.chunks_failed);
  if (std::string paused = pause_.OpenReason(job.record.job_id); !paused.empty()) {
    s.state = JobState::kPaused;  // paused while the client still uploads (pause_gate.h)
    s.message = paused;
  }
  secrets_.Describe(job, s);
  const JobUsage::Tokens tokens = usage_.Of(job.record.job_id);
  s.prompt_tokens = tokens.prompt;
  s.completion_tokens = tokens.completion;
  s.cached_rows = tokens.cached_rows;
  s.price = job.spec.price;
  s.max_cost = job.spec.max_cost;
  s.max_tokens = job.spec.max_tokens;
  s.endpoints = endpoint_tally_.Of(job.record.job_id);
  if (std::string budget = budget_.Describe(job, usage_); !budget.empty()) {
    s.message += (s.message.empty() ? "" : "; ") + budget;
  }
  // O(chunks) lease look-ups, for active jobs only: Publish runs this for every job the broker
  // knows every publish_ms, and an ended job holds no lease that matters.
  uint64_t leased = 0;
  if (job.active()) {
    for (const ChunkRecord& c : job.chunks) {
      leased += leases_.Find(ChunkKey{c.job_id, c.chunk_index}).has_value() ? 1 : 0;
    }
  }
  s.chunks_leased = leased;
  s.chunks_queued = job.chunks.size() - job.chunks_committed - leased;
  return s;
}

proto::JobStatus Broker::StatusOf(const StoredJob& job) const {
  proto::JobStatus s = StatusOf(job.record, job.chunks_committed, job.chunks_failed);
  s.chunks_leased = 0;
  s.chunks_queued = job.chunks - job.chunks_committed;
  return s;
}

void Broker::OnStatus(const std::string& peer, const proto::StatusQuery& query) {
  proto::StatusReply reply;
  reply.request_id = query.request_id;
  if (query.job_id) {
    if (const JobEntry* job = book_->Find(*query.job_id)) {
      reply.jobs.push_back(StatusOf(*job));
    } else {
      // Not in memory: an ended job past --retain answers from SQLite.
      Result<StoredJob> stored = book_->LoadStored(*query.job_id);
      if (!stored.ok()) {
        Refuse(peer, query.request_id,
               stored.status().code() == Status::Code::kNotFound
                   ? Status::NotFound("no job " + *query.job_id)
                   : stored.status());
        return;
      }
      reply.jobs.push_back(StatusOf(*stored));
    }
  } else {
    // The kMaxListedJobs most recently created jobs, in memory or only in SQLite: a reply must
    // fit the 1 MiB header limit (a job's status is ~300 bytes).
    for (const auto& [id, job] : book_->jobs()) reply.jobs.push_back(StatusOf(job));
    Result<std::vector<StoredJob>> stored = book_->LoadStoredAll(kMaxListedJobs);
    if (!stored.ok()) {
      spdlog::error("cannot list ended jobs: {}", stored.status().ToString());
    } else {
      for (const StoredJob& job : *stored) reply.jobs.push_back(StatusOf(job));
    }
    std::sort(reply.jobs.begin(), reply.jobs.end(), [](const auto& a, const auto& b) {
      return a.created_unix_ms != b.created_unix_ms ? a.created_unix_ms > b.created_unix_ms
                                                    : a.job_id < b.job_id;
    });
    if (reply.jobs.size() > kMaxListedJobs) reply.jobs.resize(kMaxListedJobs);
  }
  reply.collector = collector_.endpoint;  // where CACHE_ADMIN goes
  reply.collector_public_key = collector_.public_key;
  Reply(peer, std::move(reply));
}

void Broker::OnWorkers(const std::string& peer, const proto::WorkersQuery& query) {
  proto::WorkersReply reply;
  reply.request_id = query.request_id;
  reply.workers = WorkersNow(options_.clock->NowMs());
  Reply(peer, std::move(reply));
}

std::vector<proto::WorkerInfo> Broker::WorkersNow(int64_t now) const {
  std::vector<proto::WorkerInfo> workers;
  for (const auto& [id, w] : workers_) {
    workers.push_back({w.name, IdentityToString(id), w.credit,
                       static_cast<uint32_t>(leases_.CountByWorker(id)),
                       static_cast<uint64_t>(std::max<int64_t>(0, now - w.last_seen_ms)),
                       w.rows_done, w.in_flight});
  }
  return workers;
}

void Broker::Publish(int64_t now) {
  if (now < next_publish_ms_) return;
  next_publish_ms_ = now + options_.publish_ms;
  BrokerSnapshot snapshot;
  for (const auto& [id, job] : book_->jobs()) snapshot.jobs.push_back(StatusOf(job));
  snapshot.workers = WorkersNow(now);
  snapshot.counters = counters_;
  snapshot.counters.messages_refused += inbox_.refused();
  snapshot.collector_connected = collector_connected();
  if (std::optional<int64_t> oldest = leases_.OldestGrantMs()) {
    snapshot.oldest_lease_age_seconds = static_cast<double>(std::max<int64_t>(0, now - *oldest)) / 1e3;
  }
  metrics_.Publish(snapshot);
  quota_metrics_.Publish(quota_.KeyStatus(), now);
  PublishConsole(now, snapshot.jobs);
  status_board_.Publish(std::move(snapshot.jobs), std::move(snapshot.workers));
}

void Broker::OnCancel(const std::string& peer, const proto::Cancel& cancel) {
  Status s = CancelJob(cancel.job_id, "cancelled by a client");
  if (!s.ok()) {
    Refuse(peer, cancel.request_id, s);
    return;
  }
  proto::CancelReply reply;
  reply.request_id = cancel.request_id;
  reply.job_id = cancel.job_id;
  Reply(peer, std::move(reply));
}

Status Broker::CancelJob(const std::string& job_id, const std::string& reason) {
  Status s = book_->Cancel(job_id, reason);
  if (s.code() == Status::Code::kNotFound && book_->LoadStored(job_id).ok()) {
    s = Status::Ok();  // ended long ago (past --retain): nothing to cancel, as for any ended job
  }
  if (!s.ok()) return s;
  for (const Lease& lease : leases_.TakeByJob(job_id)) {
    Reply(lease.worker, proto::DropJob{job_id});
  }
  ForgetJob(job_id);
  if (collector_connected()) Reply(collector_id_, proto::JobCancel{job_id});
  spdlog::info("job {} cancelled", job_id);
  return Status::Ok();
}

}  // namespace sieve
