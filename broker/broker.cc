#include "broker/broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "broker/failed_chunk.h"
#include "net/peer_policy.h"
#include "common/redact.h"
#include "common/overloaded.h"
#include "net/zmq_io.h"

namespace sieve {
namespace {

constexpr int kPollMs = 100;

}  // namespace

Result<std::unique_ptr<Broker>> Broker::Create(zmq::context_t& context, BrokerOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("the broker needs --data-dir");
  Result<std::unique_ptr<JobBook>> book = JobBook::Open(options.data_dir, *options.clock);
  if (!book.ok()) return book.status();
  std::unique_ptr<Broker> broker(new Broker(context, std::move(options), std::move(*book)));
  if (broker->options_.curve.enabled()) {
    if (broker->options_.allow_dir.empty()) {
      return Status::InvalidArgument("CURVE keys need an allow-list directory (--allow DIR)");
    }
    Result<AllowList> allow = AllowList::Load(broker->options_.allow_dir);
    if (!allow.ok()) return allow.status();
    Result<std::unique_ptr<ZapAuthenticator>> zap =
        ZapAuthenticator::Start(context, std::move(*allow));
    if (!zap.ok()) return zap.status();
    broker->zap_ = std::move(*zap);
    ApplyCurveServer(broker->socket_, broker->options_.curve);
  }
  try {
    broker->socket_.bind(broker->options_.listen);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen on " + broker->options_.listen + ": " + e.what());
  }
  broker->endpoint_ = BoundEndpoint(broker->socket_);
  return broker;
}

Broker::Broker(zmq::context_t& context, BrokerOptions options, std::unique_ptr<JobBook> book)
    : context_(context),
      options_(std::move(options)),
      book_(std::move(book)),
      socket_(context_, zmq::socket_type::router),
      registry_(options_.metrics_registry ? options_.metrics_registry
                                          : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_) {
  ConfigureSocket(socket_);
  socket_.set(zmq::sockopt::router_mandatory, 1);
}

Broker::~Broker() = default;

Status Broker::Run() {
  spdlog::info("broker listening on {} with {} jobs known", endpoint_, book_->jobs().size());
  while (!stop_.load()) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(kPollMs));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::IoError(std::string("poll failed: ") + e.what());
    }
    HandleIncoming();
    int64_t now = options_.clock->NowMs();
    SendHeartbeats(now);
    ReapDeadPeers(now);
    ExpireLeases(now);
    ResendFailedChunks(now);
    Dispatch(now);
    Publish(now);
  }
  for (const auto& [id, worker] : workers_) Reply(id, proto::Disconnect{"broker shutting down"});
  return Status::Ok();
}

void Broker::HandleIncoming() {
  // Bounded per iteration so heartbeats and expiry still run under a flood.
  for (int i = 0; i < 1000; ++i) {
    std::string user_id;
    Result<std::optional<proto::Frames>> frames = ReceiveFrames(socket_, &user_id);
    if (!frames.ok()) {
      ++counters_.messages_refused;
      spdlog::warn("refused a message: {}", frames.status().ToString());
      continue;
    }
    if (!frames->has_value()) return;
    Result<proto::Routed> routed = proto::PopIdentity(std::move(**frames));
    if (!routed.ok()) {
      ++counters_.messages_refused;
      continue;
    }
    Result<proto::Message> message = proto::Decode(std::move(routed->body));
    if (!message.ok()) {
      ++counters_.messages_refused;
      spdlog::warn("refused a message from {}: {}", IdentityToString(routed->identity),
                   message.status().ToString());
      Refuse(routed->identity, std::nullopt, message.status());
      continue;
    }
    Handle(routed->identity, user_id, std::move(*message));
  }
}

void Broker::Handle(const std::string& peer, const std::string& user_id,
                    proto::Message message) {
  std::optional<PeerRole> role = RoleFromUserId(user_id);
  proto::Command command = proto::CommandOf(message);
  if (!role || !BrokerAccepts(*role, command)) {
    ++counters_.messages_refused;
    spdlog::warn("refused {} from {} ({}): not allowed for its role", proto::CommandName(command),
                 IdentityToString(peer), role ? PeerRoleName(*role) : "unknown role");
    Refuse(peer, std::nullopt,
           Status::PermissionDenied(std::string(proto::CommandName(command)) +
                                    " is not allowed for a " +
                                    std::string(role ? PeerRoleName(*role) : "peer") + " key"));
    return;
  }
  std::string client = user_id.empty() ? "local" : user_id;
  int64_t now = options_.clock->NowMs();
  if (auto it = workers_.find(peer); it != workers_.end()) it->second.last_seen_ms = now;
  if (peer == collector_id_) collector_.last_seen_ms = now;
  std::visit(
      Overloaded{
          [&](const proto::Ready& m) { OnReady(peer, m); },
          [&](const proto::Heartbeat& m) { OnHeartbeat(peer, m); },
          [&](const proto::Release& m) { OnRelease(peer, m); },
          [&](const proto::Disconnect&) { OnDisconnect(peer); },
          [&](const proto::CollectorReady& m) { OnCollectorReady(peer, m); },
          [&](const proto::Committed& m) { OnCommitted(m); },
          [&](const proto::JobDone& m) { OnJobDone(m); },
          [&](const proto::Submit& m) { OnSubmit(peer, client, m); },
          [&](const proto::Chunk& m) { OnChunk(peer, client, m); },
          [&](const proto::Seal& m) {
            if (OwnsJob(client, m.job_id)) {
              OnSeal(peer, m);
            } else {
              Refuse(peer, std::nullopt,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::StatusQuery& m) { OnStatus(peer, m); },
          [&](const proto::WorkersQuery& m) { OnWorkers(peer, m); },
          [&](const proto::Cancel& m) {
            if (OwnsJob(client, m.job_id)) {
              OnCancel(peer, m);
            } else {
              Refuse(peer, m.request_id,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::ErrorReply& m) {
            spdlog::warn("peer {} reported: {}", IdentityToString(peer), m.message);
          },
          [&](const auto& m) {
            ++counters_.messages_refused;
            Refuse(peer, std::nullopt,
                   Status::InvalidArgument("the broker does not accept " +
                                           std::string(proto::CommandName(
                                               std::decay_t<decltype(m)>::kCommand))));
          },
      },
      message);
}

void Broker::Reply(const std::string& peer, proto::Message message) {
  Status s = SendMessage(socket_, peer, std::move(message));
  if (!s.ok()) spdlog::debug("send to {} failed: {}", IdentityToString(peer), s.ToString());
}

void Broker::Refuse(const std::string& peer, std::optional<uint64_t> request_id,
                    const Status& status) {
  proto::ErrorReply error;
  error.request_id = request_id;
  error.code = proto::ErrorCodeFor(status);
  error.message = status.message();
  Reply(peer, std::move(error));
}

// ------------------------------------------------------------------------------ workers

void Broker::OnReady(const std::string& peer, const proto::Ready& ready) {
  auto [it, inserted] = workers_.try_emplace(peer);
  Worker& worker = it->second;
  worker.name = ready.worker;
  worker.concurrency = ready.concurrency;
  worker.last_seen_ms = options_.clock->NowMs();
  worker.credit += ready.credit;
  if (inserted) {
    spdlog::info("worker {} ({}) joined with credit {}", ready.worker, IdentityToString(peer),
                 ready.credit);
  }
}

void Broker::OnHeartbeat(const std::string& peer, const proto::Heartbeat& heartbeat) {
  if (peer == collector_id_) return;
  if (!workers_.contains(peer)) {
    // A peer we do not know (we restarted, or declared it dead): make it register again.
    Reply(peer, proto::Disconnect{"unknown peer: send READY"});
    return;
  }
  int64_t deadline = options_.clock->NowMs() + options_.lease_ms;
  for (const proto::LeaseRef& ref : heartbeat.leases) {
    leases_.Renew(ChunkKey{ref.job_id, ref.chunk_index}, ref.attempt, peer, deadline);
  }
}

void Broker::OnRelease(const std::string& peer, const proto::Release& release) {
  ChunkKey key{release.job_id, release.chunk_index};
  std::optional<Lease> lease = leases_.Find(key);
  if (!lease || lease->worker != peer || lease->attempt != release.attempt) return;
  leases_.Remove(key);
  spdlog::info("job {} chunk {}: handed back by {} ({})", key.job_id, key.chunk_index,
               workers_[peer].name, release.reason);
  HandBack(*lease, /*failed=*/release.reason != "draining", release.reason);
}

void Broker::OnDisconnect(const std::string& peer) {
  auto it = workers_.find(peer);
  if (it == workers_.end()) return;
  spdlog::info("worker {} left", it->second.name);
  workers_.erase(it);
  for (const Lease& lease : leases_.TakeByWorker(peer)) {
    HandBack(lease, /*failed=*/false, "worker left");
  }
}

// ---------------------------------------------------------------------------- collector

void Broker::OnCollectorReady(const std::string& peer, const proto::CollectorReady& ready) {
  collector_id_ = peer;
  collector_.endpoint = ready.endpoint;
  collector_.public_key = ready.public_key;
  collector_.last_seen_ms = options_.clock->NowMs();
  spdlog::info("collector {} at {} connected", ready.name, ready.endpoint);
  for (const auto& [id, job] : book_->jobs()) {
    if (job.active()) OpenJobAtCollector(job);
  }
  for (auto& [key, failed] : failed_) failed.next_send_ms = 0;
}

void Broker::OpenJobAtCollector(const JobEntry& job) {
  proto::JobOpen open;
  open.job_id = job.record.job_id;
  open.label_column = job.spec.label_column;
  open.output_path = "";
  open.total_chunks = job.record.state == JobState::kSealed ? job.record.total_chunks : 0;
  open.total_rows = job.record.state == JobState::kSealed ? job.record.total_rows : 0;
  open.header_record = job.record.header;
  open.name = job.spec.name;
  open.price = job.spec.price;
  Reply(collector_id_, std::move(open));
  if (job.record.state == JobState::kSealed) {
    Reply(collector_id_,
          proto::JobSealed{job.record.job_id, job.record.total_chunks, job.record.total_rows});
  }
}

void Broker::OnCommitted(const proto::Committed& committed) {
  ChunkKey key{committed.job_id, committed.chunk_index};
  bool failed = failed_.erase(key) > 0;
  last_failure_.erase(key);
  std::optional<Lease> lease = leases_.Remove(key);
  if (book_->Find(key.job_id) != nullptr) {
    usage_.Record(key.job_id, key.chunk_index,
                  {committed.prompt_tokens, committed.completion_tokens});
  }
  Result<bool> now = book_->Commit(key.job_id, key.chunk_index, committed.errors, failed);
  if (!now.ok()) {
    spdlog::error("job {} chunk {}: cannot record commit: {}", key.job_id, key.chunk_index,
                  now.status().ToString());
    return;
  }
  if (*now) {
    ++counters_.chunks_committed;
    counters_.rows_committed += committed.rows;
    counters_.error_rows_committed += committed.errors;
  }
  if (*now && lease) {
    auto it = workers_.find(lease->worker);
    if (it != workers_.end()) it->second.rows_done += committed.rows;
  }
}

void Broker::OnJobDone(const proto::JobDone& done) {
  JobEntry* job = book_->Find(done.job_id);
  if (job == nullptr || job->record.state == JobState::kDone) return;
  Status s = book_->MarkDone(done.job_id, done.output_path);
  if (!s.ok()) {
    spdlog::error("job {}: cannot record completion: {}", done.job_id, s.ToString());
    return;
  }
  spdlog::info("job {} done: {} rows, {} errors, output {}", done.job_id, done.rows, done.errors,
               done.output_path);
}

// ------------------------------------------------------------------------------- clients

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
  if (!limits.ok()) {
    spdlog::warn("refused a job from {}: {}", client.substr(0, 16), limits.message());
    Refuse(peer, submit.request_id, limits);
    return;
  }
  Result<std::string> id = book_->Create(submit, client);
  if (!id.ok()) {
    Refuse(peer, submit.request_id, id.status());
    return;
  }
  spdlog::info("job {} ({}) submitted, endpoint {}", *id, submit.spec.name,
               RedactUrl(submit.spec.endpoint));
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
  if (collector_connected()) {
    Reply(collector_id_, proto::JobSealed{seal.job_id, seal.total_chunks, seal.total_rows});
  }
  Reply(peer, proto::Sealed{seal.job_id});
}

proto::JobStatus Broker::StatusOf(const JobEntry& job) const {
  proto::JobStatus s;
  s.job_id = job.record.job_id;
  s.name = job.record.name;
  s.state = job.record.state;
  s.total_rows = job.record.total_rows;
  s.done_rows = job.record.done_rows;
  s.error_rows = job.record.error_rows;
  s.chunks_total = job.record.total_chunks;
  s.chunks_done = job.chunks_committed;
  s.chunks_failed = job.chunks_failed;
  s.created_unix_ms = static_cast<uint64_t>(job.record.created_ms);
  s.finished_unix_ms = static_cast<uint64_t>(job.record.finished_ms);
  s.output_path = job.record.output_path;
  s.collector = collector_.endpoint;
  s.collector_public_key = collector_.public_key;
  const JobUsage::Tokens tokens = usage_.Of(job.record.job_id);
  s.prompt_tokens = tokens.prompt;
  s.completion_tokens = tokens.completion;
  s.price = job.spec.price;
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

void Broker::OnStatus(const std::string& peer, const proto::StatusQuery& query) {
  proto::StatusReply reply;
  reply.request_id = query.request_id;
  if (query.job_id) {
    JobEntry* job = book_->Find(*query.job_id);
    if (job == nullptr) {
      Refuse(peer, query.request_id, Status::NotFound("no job " + *query.job_id));
      return;
    }
    reply.jobs.push_back(StatusOf(*job));
  } else {
    for (const auto& [id, job] : book_->jobs()) {
      if (reply.jobs.size() >= proto::kMaxArrayElements) break;
      reply.jobs.push_back(StatusOf(job));
    }
  }
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
                       w.rows_done});
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
  snapshot.collector_connected = collector_connected();
  if (std::optional<int64_t> oldest = leases_.OldestGrantMs()) {
    snapshot.oldest_lease_age_seconds = static_cast<double>(std::max<int64_t>(0, now - *oldest)) / 1e3;
  }
  metrics_.Publish(snapshot);
  status_board_.Publish(std::move(snapshot.jobs), std::move(snapshot.workers));
}

void Broker::OnCancel(const std::string& peer, const proto::Cancel& cancel) {
  Status s = book_->Cancel(cancel.job_id, "cancelled by a client");
  if (!s.ok()) {
    Refuse(peer, cancel.request_id, s);
    return;
  }
  for (const Lease& lease : leases_.TakeByJob(cancel.job_id)) {
    Reply(lease.worker, proto::DropJob{cancel.job_id});
  }
  std::erase_if(failed_, [&](const auto& kv) { return kv.first.job_id == cancel.job_id; });
  if (collector_connected()) Reply(collector_id_, proto::JobCancel{cancel.job_id});
  spdlog::info("job {} cancelled", cancel.job_id);
  proto::CancelReply reply;
  reply.request_id = cancel.request_id;
  reply.job_id = cancel.job_id;
  Reply(peer, std::move(reply));
}

// ------------------------------------------------------------------------- periodic work

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
    it = workers_.erase(it);
    for (const Lease& lease : leases_.TakeByWorker(id)) {
      HandBack(lease, /*failed=*/true, "worker lost");
    }
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
    HandBack(lease, /*failed=*/true, "lease expired");
  }
}

void Broker::HandBack(const Lease& lease, bool failed, const std::string& reason) {
  ChunkRecord* chunk = book_->FindChunk(lease.chunk);
  JobEntry* job = book_->Find(lease.chunk.job_id);
  if (chunk == nullptr || chunk->state == ChunkState::kCommitted || !job->active()) return;
  if (failed) {
    ++chunk->failures;
    last_failure_[lease.chunk] = reason;
    Status s = book_->SaveAttempts(*chunk);
    if (!s.ok()) spdlog::error("cannot record a failed attempt: {}", s.ToString());
  }
  if (chunk->failures >= job->spec.max_attempts) {
    spdlog::error("job {} chunk {} failed {} times ({}): labelling its rows as errors",
                  lease.chunk.job_id, lease.chunk.chunk_index, chunk->failures, reason);
    failed_[lease.chunk] = FailedChunk{chunk->row_count, 0};
    return;
  }
  ++counters_.redeliveries;
  book_->Requeue(lease.chunk);
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
    std::string reason = "chunk failed after " + std::to_string(chunk->failures) +
                         " attempts (last: " + last_failure_[key] + ")";
    Result<proto::ChunkResult> result =
        BuildFailedResult(*chunk, *bytes, job->spec.error_label, reason);
    if (!result.ok()) {
      spdlog::error("job {} chunk {}: {}", key.job_id, key.chunk_index,
                    result.status().ToString());
      continue;
    }
    Reply(collector_id_, std::move(*result));
  }
}

void Broker::Dispatch(int64_t now) {
  if (!collector_connected()) return;
  while (book_->queued() > 0) {
    // The worker with the most free credit takes the next chunk: spreads load evenly.
    auto best = workers_.end();
    for (auto it = workers_.begin(); it != workers_.end(); ++it) {
      if (it->second.credit > 0 && (best == workers_.end() || it->second.credit > best->second.credit)) {
        best = it;
      }
    }
    if (best == workers_.end()) return;
    std::optional<ChunkKey> key = book_->NextQueued();
    if (!key) return;
    if (!AssignTo(best->first, best->second, *key, now)) {
      book_->Requeue(*key);
      return;
    }
  }
}

bool Broker::AssignTo(const std::string& worker_id, Worker& worker, const ChunkKey& key,
                      int64_t now) {
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
  assign.spec = job->spec;
  assign.header_record = job->record.header;
  assign.chunk = std::move(*bytes);
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
  leases_.Grant(Lease{key, chunk->attempts, worker_id, now, now + options_.lease_ms});
  ++counters_.chunks_dispatched;
  metrics_.ObserveDispatch(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return true;
}

}  // namespace sieve
