#include "broker/broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "broker/failed_chunk.h"
#include "net/peer_policy.h"
#include "common/private_dir.h"
#include "common/redact.h"
#include "common/overloaded.h"
#include "net/zmq_io.h"

namespace sieve {
namespace {

constexpr int kPollMs = 100;
constexpr size_t kPurgeBatch = 100;
constexpr size_t kMaxListedJobs = 2000;  // jobs in one STATUS reply without a job id  // jobs deleted per retention pass, so a pass stays short

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

Result<std::unique_ptr<Broker>> Broker::Create(zmq::context_t& context, BrokerOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("the broker needs --data-dir");
  SIEVE_RETURN_IF_ERROR(PreparePrivateDir(options.data_dir, options.allow_shared_data_dir));
  Result<std::unique_ptr<JobBook>> book =
      JobBook::Open(options.data_dir, *options.clock, options.retain_ms);
  if (!book.ok()) return book.status();
  std::unique_ptr<Broker> broker(new Broker(context, std::move(options), std::move(*book)));
  broker->RecoverChunkVerdicts();
  broker->RecoverUsage();
  broker->JoinQuotas();
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
      quota_(*options_.clock, options_.quota, options_.limits),
      registry_(options_.metrics_registry ? options_.metrics_registry
                                          : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_),
      quota_metrics_(*registry_) {
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
    DrainConsoleActions();
    int64_t now = options_.clock->NowMs();
    SendHeartbeats(now);
    ReapDeadPeers(now);
    ExpireLeases(now);
    ResendFailedChunks(now);
    RequeueDue(now);
    Dispatch(now);
    CheckBudgets();
    Publish(now);
    Retain(now);
  }
  for (const auto& [id, worker] : workers_) Reply(id, proto::Disconnect{"broker shutting down"});
  return Status::Ok();
}

void Broker::HandleIncoming() {
  // Bounded per iteration so heartbeats and expiry still run under a flood.
  inbox_.Drain(socket_, 1000, [&](Incoming& incoming) {
    Handle(incoming.peer, incoming.user_id, std::move(incoming.message));
  });
}

void Broker::Handle(const std::string& peer, const std::string& user_id,
                    proto::Message message) {
  std::optional<PeerRole> role = RoleFromUserId(user_id);
  proto::Command command = proto::CommandOf(message);
  if (!role || !BrokerAccepts(*role, command)) {
    inbox_.Refuse(socket_, peer, std::nullopt,
                  Status::PermissionDenied(std::string(proto::CommandName(command)) +
                                           " is not allowed for a " +
                                           std::string(role ? PeerRoleName(*role) : "peer") +
                                           " key"));
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
          [&](const proto::Resume& m) {
            if (OwnsJob(client, m.job_id)) {
              OnResume(peer, m);
            } else {
              Refuse(peer, m.request_id,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::CanaryReport& m) { OnCanary(peer, m); },
          [&](const proto::PermitAsk& m) { OnPermitAsk(peer, m); },
          [&](const proto::RateLimited& m) { OnRateLimited(peer, m); },
          [&](const proto::LimitsQuery& m) { OnLimits(peer, m); },
          [&](const proto::ErrorReply& m) {
            spdlog::warn("peer {} reported: {}", IdentityToString(peer), m.message);
          },
          [&](const auto& m) {
            inbox_.Refuse(socket_, peer, std::nullopt,
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
  SendError(socket_, peer, request_id, status);
}

// ------------------------------------------------------------------------------ workers

void Broker::OnReady(const std::string& peer, const proto::Ready& ready) {
  auto [it, inserted] = workers_.try_emplace(peer);
  Worker& worker = it->second;
  worker.name = ready.worker;
  worker.concurrency = ready.concurrency;
  worker.version = ready.version;
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
  workers_[peer].in_flight = heartbeat.in_flight;
  endpoint_tally_.Add(peer, heartbeat.endpoints);
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
  if (!release.missing_secret.empty()) {  // not the chunk's fault: not a failed attempt
    secrets_.NoteMissingWorkerSecret(key.job_id, workers_[peer].name, release.missing_secret,
                                     options_.clock->NowMs());
    HandBack(*lease, LeaseEnd::kReturned, release.reason);
    return;
  }
  if (!release.refusal.empty()) {  // the endpoint refuses the job: it pauses (broker_pause.cc)
    PauseJob(key.job_id, release.refusal);
    HandBack(*lease, LeaseEnd::kReturned, release.reason);  // parked by Dispatch: not an attempt
    return;
  }
  HandBack(*lease, release.reason == "draining" ? LeaseEnd::kReturned : LeaseEnd::kFailed,
           release.reason);
}

void Broker::OnDisconnect(const std::string& peer) {
  auto it = workers_.find(peer);
  if (it == workers_.end()) return;
  spdlog::info("worker {} left", it->second.name);
  workers_.erase(it);
  quota_.WorkerGone(peer);
  endpoint_tally_.WorkerGone(peer);
  for (const Lease& lease : leases_.TakeByWorker(peer)) {
    HandBack(lease, LeaseEnd::kReturned, "worker left");
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
  const bool sealed = job.record.state != JobState::kOpen;  // an active job: sealed or later
  open.total_chunks = sealed ? job.record.total_chunks : 0;
  open.total_rows = sealed ? job.record.total_rows : 0;
  open.header_record = job.record.header;
  open.name = job.spec.name;
  open.price = job.spec.price;
  open.retry_of = job.spec.retry_of;
  open.output_format = job.spec.output_format;
  Reply(collector_id_, std::move(open));
  if (sealed) {
    Reply(collector_id_,
          proto::JobSealed{job.record.job_id, job.record.total_chunks, job.record.total_rows});
  }
}

void Broker::OnCommitted(const proto::Committed& committed) {
  ChunkKey key{committed.job_id, committed.chunk_index};
  bool failed = failed_.erase(key) > 0;
  last_failure_.erase(key);
  suspects_.erase(key);
  std::optional<Lease> lease = leases_.Remove(key);
  secrets_.ClearNote(key.job_id);
  if (const JobEntry* job = book_->Find(key.job_id); job != nullptr && canary_.Pending(*job)) {
    PassCanary(key.job_id);  // a committed chunk answers the canary's question too
  }
  if (book_->Find(key.job_id) != nullptr) {
    // Rows answered from the result cache cost nothing: the budget's tokens-per-row mean is
    // over the rows that were sent, so it never underestimates the rows still to send.
    usage_.Record(key.job_id, key.chunk_index,
                  {committed.prompt_tokens, committed.completion_tokens,
                   committed.cached_rows},
                  committed.rows - std::min(committed.cached_rows, committed.rows));
    console_board_.NoteFailedRows(key.job_id, committed.failed_rows);
  }
  Result<bool> now = book_->Commit(key.job_id, key.chunk_index, committed.errors, failed,
                                   committed.prompt_tokens, committed.completion_tokens);
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
  if (job == nullptr || job->record.state == JobState::kDone) {
    OnOutputRebuilt(done);
    return;
  }
  secrets_.Drop(done.job_id);
  quota_.Leave(done.job_id);
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

// ----------------------------------------------------------------------------- retention

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
