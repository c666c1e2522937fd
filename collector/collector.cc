#include "collector/collector.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "common/output_records.h"
#include "common/private_dir.h"
#include "common/csv_record.h"
#include "common/file_util.h"
#include "net/peer_policy.h"
#include "common/overloaded.h"
#include "net/zmq_io.h"
#include "proto/job_id.h"

namespace sieve {
namespace {

constexpr int kPollMs = 100;

// Counts the records in `labelled` (CSV or JSON Lines); Corrupt when they do not parse.
Result<uint64_t> CountRecords(std::string_view labelled, const std::string& format) {
  OutputRecords records(labelled, format == "jsonl" ? RecordFormat::kJsonl : RecordFormat::kCsv);
  std::string_view record;
  uint64_t n = 0;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) return n;
    ++n;
  }
}

}  // namespace

Result<std::unique_ptr<Collector>> Collector::Create(zmq::context_t& context,
                                                     CollectorOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("the collector needs --data-dir");
  SIEVE_RETURN_IF_ERROR(PreparePrivateDir(options.data_dir, options.allow_shared_data_dir));
  std::unique_ptr<Collector> collector(new Collector(context, std::move(options)));
  SIEVE_RETURN_IF_ERROR(MakeDirs(collector->options_.data_dir + "/jobs"));
  SIEVE_RETURN_IF_ERROR(collector->RecoverJobs());
  SIEVE_RETURN_IF_ERROR(collector->OpenCache());
  if (collector->options_.curve.enabled()) {
    if (collector->options_.allow_dir.empty()) {
      return Status::InvalidArgument("CURVE keys need an allow-list directory (--allow DIR)");
    }
    if (collector->options_.curve.broker_public_key.empty()) {
      return Status::InvalidArgument("CURVE keys need the broker's public key (--broker-key)");
    }
    Result<AllowList> allow = AllowList::Load(collector->options_.allow_dir);
    if (!allow.ok()) return allow.status();
    Result<std::unique_ptr<ZapAuthenticator>> zap =
        ZapAuthenticator::Start(context, std::move(*allow));
    if (!zap.ok()) return zap.status();
    collector->zap_ = std::move(*zap);
    ApplyCurveServer(collector->router_, collector->options_.curve);
  }
  try {
    collector->router_.bind(collector->options_.listen);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen on " + collector->options_.listen + ": " +
                               e.what());
  }
  collector->advertise_ = collector->options_.advertise.empty()
                              ? BoundEndpoint(collector->router_)
                              : collector->options_.advertise;
  return collector;
}

Collector::Collector(zmq::context_t& context, CollectorOptions options)
    : context_(context),
      options_(std::move(options)),
      router_(context_, zmq::socket_type::router),
      registry_(options_.metrics_registry ? options_.metrics_registry
                                          : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_) {
  ConfigureSocket(router_);
  BrokerLinkOptions link;
  link.endpoint = options_.broker;
  link.curve = options_.curve;
  link.heartbeat_ms = options_.heartbeat_ms;
  link.liveness = options_.liveness;
  link.clock = options_.clock;
  broker_ = std::make_unique<BrokerLink>(context_, std::move(link), [this] { return Ready(); });
}

Collector::~Collector() = default;

std::string Collector::JobDir(const std::string& job_id) const {
  return options_.data_dir + "/jobs/" + job_id;
}

Status Collector::RecoverJobs() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.data_dir + "/jobs", ec)) {
    std::string id = entry.path().filename().string();
    if (!proto::IsValidJobId(id)) continue;
    Result<std::unique_ptr<JobOutput>> job = JobOutput::Recover(entry.path().string());
    if (job.status().code() == Status::Code::kNotFound) continue;  // never initialised
    if (!job.ok()) return job.status();
    jobs_[id] = std::move(*job);
  }
  spdlog::info("collector recovered {} jobs from {}", jobs_.size(), options_.data_dir);
  return Status::Ok();
}

Status Collector::Run() {
  broker_->Connect();
  spdlog::info("collector listening on {} (advertised {}), broker {}", BoundEndpoint(router_),
               advertise_, options_.broker);
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                               {broker_->socket().handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(kPollMs));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::IoError(std::string("poll failed: ") + e.what());
    }
    HandleWorkers();
    HandleBroker();
    MergeAll();
    broker_->Tick(options_.clock->NowMs(), [] { return proto::Heartbeat{}; });
    PublishMetrics();
  }
  SendToBroker(proto::Disconnect{"collector shutting down"});
  return Status::Ok();
}

void Collector::HandleWorkers() {
  inbox_.Drain(router_, 1000, [&](Incoming& incoming) {
    std::optional<PeerRole> role = RoleFromUserId(incoming.user_id);
    proto::Command command = proto::CommandOf(incoming.message);
    if (!role || !CollectorAccepts(*role, command)) {
      inbox_.Refuse(router_, incoming.peer, std::nullopt,
                    Status::PermissionDenied(std::string(proto::CommandName(command)) +
                                             " is not allowed for this key's role"));
    } else if (auto* result = std::get_if<proto::ChunkResult>(&incoming.message)) {
      OnResult(incoming.peer, std::move(*result));
    } else if (auto* fetch = std::get_if<proto::Fetch>(&incoming.message)) {
      OnFetch(incoming.peer, *fetch);
    } else if (auto* lookup = std::get_if<proto::CacheLookup>(&incoming.message)) {
      OnCacheLookup(incoming.peer, *lookup);
    } else if (auto* fill = std::get_if<proto::CacheFill>(&incoming.message)) {
      OnCacheFill(*fill);
    } else if (auto* admin = std::get_if<proto::CacheAdmin>(&incoming.message)) {
      OnCacheAdmin(incoming.peer, incoming.user_id, *admin);
    } else {
      inbox_.Refuse(router_, incoming.peer, std::nullopt,
                    Status::InvalidArgument("the collector does not accept " +
                                            std::string(proto::CommandName(command))));
    }
  });
}

proto::CollectorReady Collector::Ready() const {
  return proto::CollectorReady{advertise_, options_.name, options_.curve.own.public_key};
}

void Collector::HandleBroker() {
  broker_->Receive(1000, [&](proto::Message& message) {
    std::visit(Overloaded{
                   [&](const proto::JobOpen& m) { OnJobOpen(m); },
                   [&](const proto::JobSealed& m) { OnJobSealed(m); },
                   [&](const proto::JobCancel& m) { OnJobCancel(m); },
                   [&](proto::ChunkResult& m) { OnResult("", std::move(m)); },
                   [&](const auto& m) {
                     broker_->Refuse(Status::InvalidArgument(
                         "the collector does not accept " +
                         std::string(proto::CommandName(std::decay_t<decltype(m)>::kCommand)) +
                         " from the broker"));
                   },
               },
               message);
  });
}

void Collector::OnJobOpen(const proto::JobOpen& open) {
  auto it = jobs_.find(open.job_id);
  if (it != jobs_.end()) {
    // The broker (re)connected: tell it again what is durable here.
    JobOutput& job = *it->second;
    if (job.finished()) {
      SettleRetry(open.job_id, job);  // a retry job's results are in its done job's output
      ReportDone(open.job_id, job);
      return;
    }
    for (uint64_t chunk : job.CommittedChunks()) ReportCommitted(open.job_id, chunk, 0);
    return;
  }
  JobMeta meta;
  meta.job_id = open.job_id;
  meta.header_record = open.header_record;
  meta.label_column = open.label_column;
  meta.name = open.name;
  meta.price = open.price;
  meta.retry_of = open.retry_of;
  meta.output_format = open.output_format;
  meta.opened_wall_ms = options_.clock->WallMs();
  Result<std::unique_ptr<JobOutput>> job = JobOutput::Open(JobDir(open.job_id), meta);
  if (!job.ok()) {
    spdlog::error("job {}: cannot open its output: {}", open.job_id, job.status().ToString());
    return;  // the broker sends JOB_OPEN again when it reconnects; results wait until then
  }
  spdlog::info("job {}: output opened", open.job_id);
  jobs_[open.job_id] = std::move(*job);
}

void Collector::OnJobSealed(const proto::JobSealed& sealed) {
  auto it = jobs_.find(sealed.job_id);
  if (it == jobs_.end()) return;
  Status s = it->second->Seal(sealed.total_chunks, sealed.total_rows);
  if (!s.ok()) spdlog::error("job {}: cannot seal: {}", sealed.job_id, s.ToString());
}

void Collector::OnJobCancel(const proto::JobCancel& cancel) {
  jobs_.erase(cancel.job_id);
  Status s = RemoveTree(JobDir(cancel.job_id));
  if (!s.ok()) spdlog::warn("job {}: {}", cancel.job_id, s.ToString());
  spdlog::info("job {}: cancelled, output removed", cancel.job_id);
}

void Collector::OnResult(const std::string& peer, proto::ChunkResult result) {
  auto reply = [&](bool ok, const std::string& message) {
    if (peer.empty()) return;  // from the broker: COMMITTED is its answer
    proto::ResultAck ack{result.job_id, result.chunk_index, result.attempt, ok, message};
    Status s = SendMessage(router_, peer, std::move(ack));
    if (!s.ok()) spdlog::debug("cannot acknowledge: {}", s.ToString());
  };
  auto it = jobs_.find(result.job_id);
  if (it == jobs_.end()) {
    reply(false, "unknown job " + result.job_id + " (not opened here yet, or cancelled)");
    return;
  }
  JobOutput& job = *it->second;
  if (job.IsCommitted(result.chunk_index)) {
    ++counters_.duplicates;
    reply(true, "duplicate");
    ReportCommitted(result.job_id, result.chunk_index, result.attempt);
    return;
  }
  Result<uint64_t> records = CountRecords(result.labelled, job.meta().output_format);
  if (!records.ok() || *records != result.row_count ||
      (job.meta().sealed && result.chunk_index >= job.meta().total_chunks)) {
    ++counters_.messages_refused;
    std::string why = !records.ok() ? records.status().message()
                                    : "holds " + std::to_string(*records) + " records, says " +
                                          std::to_string(result.row_count);
    spdlog::warn("job {} chunk {}: result refused: {}", result.job_id, result.chunk_index, why);
    reply(false, "result refused: " + why);
    return;
  }
  StoredResult stored;
  stored.first_row = result.first_row;
  stored.rows = result.row_count;
  stored.error_rows = result.error_count;
  stored.retries = result.retry_count;
  stored.attempt = result.attempt;
  if (result.usage) {
    stored.prompt_tokens = result.usage->prompt_tokens;
    stored.completion_tokens = result.usage->completion_tokens;
    stored.answers_invalid = result.usage->answers_invalid;
    stored.rows_invalid = result.usage->rows_invalid;
  }
  stored.cached_rows = result.cached_rows;
  for (proto::RowError& e : result.errors) stored.errors.push_back({e.row, std::move(e.reason)});
  stored.labelled = std::move(result.labelled);
  const auto started = std::chrono::steady_clock::now();
  Status s = job.Store(result.chunk_index, stored);
  metrics_.ObserveCommit(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!s.ok()) {
    ++counters_.store_failures;
    spdlog::error("job {} chunk {}: cannot store the result: {}", result.job_id,
                  result.chunk_index, s.ToString());
    reply(false, "collector cannot store the result: " + s.message());
    return;
  }
  ++counters_.chunks_committed;
  reply(true, "");
  proto::Committed committed{result.job_id, result.chunk_index, result.attempt,
                             stored.rows, stored.error_rows, stored.prompt_tokens,
                             stored.completion_tokens, stored.cached_rows};
  for (const auto& e : stored.errors) {  // the first few, for the broker's web console
    if (committed.failed_rows.size() >= proto::kCommittedFailedRows) break;
    committed.failed_rows.push_back({e.row, e.reason});
  }
  SendToBroker(std::move(committed));
}

void Collector::ReportCommitted(const std::string& job_id, uint64_t chunk_index,
                                uint32_t attempt) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  Result<JobOutput::ChunkCounts> counts = it->second->CountsOf(chunk_index);
  if (!counts.ok()) return;
  SendToBroker(proto::Committed{job_id, chunk_index, attempt, counts->rows, counts->error_rows,
                                counts->prompt_tokens, counts->completion_tokens,
                                counts->cached_rows});
}

void Collector::ReportDone(const std::string& job_id, const JobOutput& job) {
  SendToBroker(proto::JobDone{job_id, job.output_path(), job.progress().rows,
                              job.progress().error_rows, job.summary_path()});
}

void Collector::MergeAll() {
  for (auto& [id, job] : jobs_) {
    if (job->finished()) {
      SettleRetry(id, *job);  // after a restart: a retry job finished but not yet applied
      continue;
    }
    uint64_t rows_before = job->progress().rows;
    uint64_t bytes_before = job->progress().output_bytes;
    Result<uint64_t> merged = job->MergeReady();
    if (!merged.ok()) {
      spdlog::error("job {}: merge paused: {}", id, merged.status().ToString());
      continue;
    }
    counters_.rows_written += job->progress().rows - rows_before;
    counters_.bytes_written += job->progress().output_bytes - bytes_before;
    if (job->finished()) {
      spdlog::info("job {}: output complete, {} rows ({} errors) in {}", id,
                   job->progress().rows, job->progress().error_rows, job->output_path());
      SettleRetry(id, *job);
      ReportDone(id, *job);
    }
  }
}

void Collector::PublishMetrics() {
  uint64_t reorder = 0;
  uint64_t open = 0;
  for (const auto& [id, job] : jobs_) {
    reorder += job->pending();
    open += job->finished() ? 0 : 1;
  }
  CollectorCounters counters = counters_;
  counters.messages_refused += inbox_.refused() + broker_->refused();
  const ResultCacheCounters& cache = cache_->counters();
  counters.cache_hits = cache.hits;
  counters.cache_misses = cache.misses;
  counters.cache_waits = cache.waits;
  counters.cache_fills = cache.fills;
  counters.cache_evictions = cache.evictions;
  metrics_.Publish(counters, reorder, open);
  metrics_.PublishCache(cache_->total_bytes(), cache_->total_entries());
}

void Collector::OnFetch(const std::string& peer, const proto::Fetch& fetch) {
  auto it = jobs_.find(fetch.job_id);
  if (it == jobs_.end()) {
    SendError(router_, peer, fetch.request_id,
              Status::NotFound("no job " + fetch.job_id + " here"));
    return;
  }
  if (!it->second->finished()) {
    SendError(router_, peer, fetch.request_id,
              Status::Unavailable("job " + fetch.job_id + " is not finished yet"));
    return;
  }
  std::string path;
  if (fetch.file == proto::kFetchOutput) {
    path = it->second->output_path();
  } else if (fetch.file == proto::kFetchSummary) {
    path = it->second->summary_path();
  } else if (fetch.file == proto::kFetchErrors) {
    path = it->second->errors_path();
  } else {
    SendError(router_, peer, fetch.request_id,
              Status::InvalidArgument("no file '" + fetch.file + "' to fetch"));
    return;
  }
  Result<uint64_t> size = FileSize(path);
  uint64_t want = std::min<uint64_t>(fetch.max_bytes, options_.max_fetch_bytes);
  Result<std::string> data =
      size.ok() ? ReadFileRange(path, fetch.offset, want) : Result<std::string>(size.status());
  if (!data.ok()) {
    SendError(router_, peer, fetch.request_id, data.status());
    return;
  }
  proto::FetchReply reply;
  reply.request_id = fetch.request_id;
  reply.job_id = fetch.job_id;
  reply.offset = fetch.offset;
  reply.total_size = *size;
  reply.eof = fetch.offset + data->size() >= *size;
  reply.data = std::move(*data);
  Status s = SendMessage(router_, peer, std::move(reply));
  if (!s.ok()) spdlog::debug("cannot answer a fetch: {}", s.ToString());
}

}  // namespace sieve
