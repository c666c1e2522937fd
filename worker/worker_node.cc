#include "worker/worker_node.h"

#include "worker/chunk_rows.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <unistd.h>

#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/overloaded.h"
#include "net/zmq_io.h"
#include "worker/endpoint_report.h"

namespace sieve {
namespace {

// TEST-ONLY fault hook (docs/reliability.md, tests/fault/lost_worker_test.py): with
// SIEVE_TEST_CRASH_ON_CHUNK=N in its environment, the worker aborts the moment it is handed
// chunk N of any job, as a chunk that crashes every worker that takes it would. Unset (every
// deployment): nothing happens.
std::optional<uint64_t> TestCrashChunk() {
  static const std::optional<uint64_t> chunk = []() -> std::optional<uint64_t> {
    const char* value = std::getenv("SIEVE_TEST_CRASH_ON_CHUNK");
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::strtoull(value, nullptr, 10);
  }();
  return chunk;
}

constexpr int kEnginePollMs = 50;
constexpr int64_t kEngineIdleMs = 30'000;

std::string DefaultName() {
  char host[256] = "worker";
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

EngineOptions EngineOptionsFor(const proto::JobSpec& spec, const WorkerNodeOptions& node,
                               RequestBudget* budget) {
  EngineOptions o;
  o.shared_budget = budget;
  o.endpoint = spec.endpoint;
  o.endpoints = spec.endpoints;  // a pool of replicas (worker/endpoint_pool.h), or empty
  o.concurrency = spec.concurrency > 0 ? std::min<int>(spec.concurrency, node.concurrency)
                                       : node.concurrency;
  o.adaptive = node.adaptive;
  o.batch_size = static_cast<int>(std::max<uint32_t>(1, spec.batch_size));
  o.fields = spec.fields;
  o.body_template = spec.body_template;
  o.labels = spec.labels;
  o.invalid_retries = static_cast<int>(spec.invalid_retries);
  o.headers = spec.headers;
  o.label_field = spec.label_field;
  o.error_label = spec.error_label;
  o.pause_on_refusal = true;  // a 401/403 pauses the job at the broker (worker_canary.cc)
  o.timeout = std::chrono::milliseconds(spec.timeout_ms);
  o.connect_timeout = std::chrono::milliseconds(spec.connect_timeout_ms);
  o.retries = static_cast<int>(spec.retries);
  o.ca_file = node.ca_file;
  return o;
}

}  // namespace

Result<std::unique_ptr<WorkerNode>> WorkerNode::Create(zmq::context_t& context,
                                                       WorkerNodeOptions options) {
  if (options.name.empty()) options.name = DefaultName();
  if (options.max_chunks == 0) return Status::InvalidArgument("max_chunks must be at least 1");
  if (options.concurrency < 1) return Status::InvalidArgument("--concurrency must be at least 1");
  return std::unique_ptr<WorkerNode>(new WorkerNode(context, std::move(options)));
}

WorkerNode::WorkerNode(zmq::context_t& context, WorkerNodeOptions options)
    : context_(context),
      options_(std::move(options)),
      budget_(options_.concurrency),
      registry_(options_.metrics_registry ? options_.metrics_registry
                                          : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_) {
  BrokerLinkOptions link;
  link.endpoint = options_.broker;
  link.curve = options_.curve;
  link.heartbeat_ms = options_.heartbeat_ms;
  link.liveness = options_.liveness;
  link.clock = options_.clock;
  broker_ = std::make_unique<BrokerLink>(context_, std::move(link), [this] {
    return proto::Ready{options_.name, FreeSlots(), static_cast<uint32_t>(options_.concurrency),
                        "0.1.0"};
  });
}

WorkerNode::~WorkerNode() = default;

uint32_t WorkerNode::FreeSlots() const {
  const size_t taken = held_.size() + credit_owed_;  // owed credit is announced after a pause
  if (draining_ || taken >= options_.max_chunks) return 0;
  return options_.max_chunks - static_cast<uint32_t>(taken);
}

Status WorkerNode::Run() {
  broker_->Connect();
  spdlog::info("worker {} connecting to {} (concurrency {}, {} chunks at once)", options_.name,
               options_.broker, options_.concurrency, options_.max_chunks);
  while (!stop_.load()) {
    if (drain_.load() && !draining_) StartDrain();
    DriveEngines();
    HandleBroker();
    HandleCollectors();
    int64_t now = options_.clock->NowMs();
    Tick(now);
    SampleMetrics();
    if (draining_ && (held_.empty() || now >= drain_deadline_ms_)) break;
  }
  if (!held_.empty()) {
    spdlog::warn("worker {} stops with {} chunks undelivered; their leases will expire",
                 options_.name, held_.size());
  }
  SendToBroker(proto::Disconnect{draining_ ? "drained" : "stopped"});
  return Status::Ok();
}

void WorkerNode::DriveEngines() {
  bool labelling = false;
  for (const auto& [job, slot] : engines_) labelling |= slot.engine->pending_chunks() > 0;
  if (!labelling) {
    // Nothing for the engines: wait on the sockets instead.
    std::vector<zmq::pollitem_t> items{{broker_->socket().handle(), 0, ZMQ_POLLIN, 0}};
    for (auto& [endpoint, socket] : collectors_) {
      items.push_back({socket->handle(), 0, ZMQ_POLLIN, 0});
    }
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(kEnginePollMs));
    } catch (const zmq::error_t&) {
    }
    return;
  }
  auto per_engine = std::chrono::milliseconds(std::max<int>(
      1, kEnginePollMs / static_cast<int>(std::max<size_t>(1, engines_.size()))));
  for (auto& [job_id, slot] : engines_) {
    if (slot.engine->pending_chunks() == 0) continue;
    std::vector<HttpEngine::FinishedChunk> finished = slot.engine->Poll(per_engine);
    ReportCanaryPasses(job_id, *slot.engine);  // worker_canary.cc
    for (HttpEngine::FinishedChunk& done : finished) {
      for (auto& [key, held] : held_) {
        if (key.first == job_id && !held.labelled && held.engine_id == done.id) {
          OnChunkLabelled(key, held, std::move(done.labels));
          break;
        }
      }
    }
  }
}

void WorkerNode::SampleMetrics() {
  int in_flight = 0;
  int limit = 0;
  std::map<std::string, bool> cooling;  // endpoint pools' members: resting in any job's pool
  for (const auto& [job, slot] : engines_) {
    in_flight += slot.engine->in_flight();
    limit += slot.engine->concurrency_limit();
    if (const EndpointPool* pool = slot.engine->pool(); pool != nullptr) {
      for (size_t e = 0; e < pool->size(); ++e) {
        cooling[pool->name(static_cast<int>(e))] |= pool->in_cooldown(static_cast<int>(e));
      }
    }
  }
  for (const auto& [endpoint, in_cooldown] : cooling) metrics_.SampleEndpoint(endpoint, in_cooldown);
  limit = std::min(limit, budget_.capacity());  // the engines share the worker's budget
  counters_.reconnects = broker_->reconnects();
  counters_.messages_refused = broker_->refused() + collector_inbox_.refused();
  counters_.permit_waits = permit_counters_.waits;
  counters_.permit_wait_ms = permit_counters_.wait_ms;
  counters_.rate_limited = permit_counters_.rate_limited;
  metrics_.Sample(counters_, in_flight, limit, held_.size());
}

void WorkerNode::HandleBroker() {
  broker_->Receive(100, [&](proto::Message& message) {
    if (auto* assign = std::get_if<proto::Assign>(&message)) {
      OnAssign(std::move(*assign));
    } else if (auto* drop = std::get_if<proto::DropJob>(&message)) {
      OnDropJob(drop->job_id);
    } else if (std::holds_alternative<proto::PermitGrant>(message) ||
               std::holds_alternative<proto::PermitsVoid>(message)) {
      OnPermitMessage(message);
    } else {
      broker_->Refuse(Status::InvalidArgument(
          "a worker does not accept " + std::string(proto::CommandName(proto::CommandOf(message)))));
    }
  });
}

void WorkerNode::OnPermitMessage(const proto::Message& message) {
  if (const auto* grant = std::get_if<proto::PermitGrant>(&message)) {
    auto it = permits_.find(grant->job_id);
    if (it != permits_.end()) it->second->OnGrant(*grant);
  } else if (const auto* void_message = std::get_if<proto::PermitsVoid>(&message)) {
    auto it = permits_.find(void_message->job_id);
    if (it != permits_.end()) it->second->OnVoid(*void_message);
  }
}

void WorkerNode::HandleCollectors() {
  for (auto& [endpoint, socket] : collectors_) {
    collector_inbox_.Drain(*socket, 100, [&](Incoming& incoming) {
      if (auto* ack = std::get_if<proto::ResultAck>(&incoming.message)) {
        OnResultAck(*ack);
      } else if (auto* answer = std::get_if<proto::CacheAnswer>(&incoming.message)) {
        OnCacheAnswer(*answer);
      } else if (auto* error = std::get_if<proto::ErrorReply>(&incoming.message)) {
        spdlog::warn("a collector refused a message: {}", error->message);
      } else {
        collector_inbox_.Refuse(*socket, "", std::nullopt,
                                Status::InvalidArgument("a worker does not accept " +
                                                        std::string(proto::CommandName(
                                                            proto::CommandOf(incoming.message)))));
      }
    });
  }
}

Result<HttpEngine*> WorkerNode::EngineFor(const std::string& job_id, const proto::JobSpec& spec,
                                          uint64_t tokens_each) {
  int64_t now = options_.clock->NowMs();
  auto it = engines_.find(job_id);
  if (it != engines_.end()) {
    it->second.last_used_ms = now;
    return it->second.engine.get();
  }
  EngineOptions engine_options = EngineOptionsFor(spec, options_, &budget_);
  if (NeedsPermits(spec)) {
    auto& gate = permits_[job_id];
    gate = std::make_unique<JobPermits>(
        job_id, *options_.clock, [this](proto::Message m) { SendToBroker(std::move(m)); },
        static_cast<uint32_t>(engine_options.concurrency), tokens_each, &permit_counters_);
    engine_options.gate = gate.get();
  }
  Result<std::unique_ptr<HttpEngine>> engine =
      HttpEngine::Create(std::move(engine_options), *options_.clock);
  if (!engine.ok()) {
    permits_.erase(job_id);
    return engine.status();
  }
  HttpEngine* raw = engine->get();
  engines_[job_id] = EngineSlot{std::move(*engine), now};
  return raw;
}

void WorkerNode::OnAssign(proto::Assign assign) {
  if (TestCrashChunk() == assign.chunk_index) {
    spdlog::critical("job {} chunk {}: SIEVE_TEST_CRASH_ON_CHUNK is set: aborting (test hook)",
                     assign.job_id, assign.chunk_index);
    spdlog::shutdown();
    std::abort();
  }
  Key key{assign.job_id, assign.chunk_index};
  if (auto it = held_.find(key); it != held_.end()) {
    // Re-leased to us while we still hold it (the broker restarted or our lease expired):
    // keep the work, adopt the new lease, and give back the credit the broker spent on it.
    it->second.attempt = assign.attempt;
    GiveCredit();
    return;
  }
  if (draining_) {
    SendToBroker(
        proto::Release{assign.job_id, assign.chunk_index, assign.attempt, "draining", "", ""});
    return;
  }
  std::string missing_secret;
  Result<std::vector<std::string>> headers =
      options_.secrets.Resolve(assign.spec.headers, &missing_secret);
  if (!missing_secret.empty()) {
    HandBackForSecret(assign, missing_secret, headers.status());
    return;
  }
  const std::vector<std::string> unresolved_headers = assign.spec.headers;  // fingerprints
  if (headers.ok()) assign.spec.headers = std::move(*headers);
  auto batch = std::make_shared<RowBatch>();
  batch->job_id = assign.job_id;
  batch->chunk_index = assign.chunk_index;
  Result<ChunkShape> shape = ChunkShape::Of(assign.spec);
  Status parsed =
      !headers.ok() ? headers.status()
      : !shape.ok() ? shape.status()
      : options_.curve.enabled() && !IsZ85Key(assign.collector_public_key)
          ? Status::Unavailable("this worker uses CURVE but the collector announced no CURVE key: "
                                "start the collector with --curve-key")
          : ParseChunkRows(assign.spec, *shape, assign.header_record, assign.chunk, batch.get());
  // A request's tokens before its answer (docs/architecture.md, "Tokens"): its body's bytes
  // / 4, plus 16 for the completion; the body is about a row plus the template.
  const uint64_t tokens_each =
      (assign.chunk.size() / std::max<uint64_t>(1, assign.row_count) +
       assign.spec.body_template.size()) / 4 + 16;
  Result<HttpEngine*> engine = parsed.ok() ? EngineFor(assign.job_id, assign.spec, tokens_each)
                                           : Result<HttpEngine*>(parsed);
  std::unique_ptr<ChunkCachePlan> plan =
      engine.ok() ? PlanChunk(assign.spec, unresolved_headers, batch) : nullptr;
  Result<HttpEngine::ChunkId> id = !engine.ok() ? Result<HttpEngine::ChunkId>(engine.status())
                                   : plan ? HttpEngine::ChunkId{0}  // AdvanceCached submits
                                          : (*engine)->Submit(batch, assign.canary);
  if (!id.ok()) {
    spdlog::error("job {} chunk {}: cannot label: {}", assign.job_id, assign.chunk_index,
                  id.status().ToString());
    SendToBroker(proto::Release{assign.job_id, assign.chunk_index, assign.attempt,
                                "worker cannot label it: " + id.status().message(), "", ""});
    GiveCredit();
    return;
  }
  HeldChunk held;
  held.attempt = assign.attempt;
  held.first_row = assign.first_row;
  held.row_count = assign.row_count;
  held.collector = assign.collector;
  held.collector_public_key = assign.collector_public_key;
  held.chunk = std::move(assign.chunk);
  held.shape = std::move(*shape);
  held.shape.header = batch->header;
  held.engine_id = *id;
  held.batch = std::move(batch);
  held.plan = std::move(plan);
  held.cache_namespace = assign.spec.cache_namespace;
  held.canary = assign.canary && held.plan != nullptr;
  spdlog::debug("job {} chunk {}: attempt {} started ({} rows)", key.first, key.second,
                held.attempt, held.row_count);
  auto [it, inserted] = held_.emplace(std::move(key), std::move(held));
  if (inserted && it->second.plan) AdvanceCached(it->first, it->second);
}

void WorkerNode::HandBackForSecret(const proto::Assign& assign, const std::string& name,
                                   const Status& why) {
  // Every chunk of the job would go out without its key: hand it back (not a failed attempt).
  // The broker holds the job back for a pause (broker/job_secrets.h); other jobs go on here.
  spdlog::error("job {} chunk {}: {}; handing the chunk back", assign.job_id,
                assign.chunk_index, why.message());
  proto::Release release{assign.job_id, assign.chunk_index, assign.attempt, why.message(), name,
                         ""};
  SendToBroker(std::move(release));
  GiveCredit();
}

void WorkerNode::OnDropJob(const std::string& job_id) {
  auto engine = engines_.find(job_id);
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->first.first != job_id) {
      ++it;
      continue;
    }
    if (!it->second.labelled && engine != engines_.end()) {
      (void)engine->second.engine->Cancel(it->second.engine_id);
    }
    it = held_.erase(it);
    GiveCredit();
  }
  if (engine != engines_.end()) engines_.erase(engine);
  permits_.erase(job_id);
  spdlog::info("job {} cancelled: dropped its chunks", job_id);
}

void WorkerNode::GiveCredit() {
  if (draining_) return;  // a draining worker takes nothing new
  ++credit_owed_;
  SendOwedCredit(options_.clock->NowMs());
}

void WorkerNode::SendOwedCredit(int64_t now) {
  if (credit_owed_ == 0 || draining_ || now < credit_resume_ms_) return;
  SendToBroker(proto::Ready{options_.name, credit_owed_,
                            static_cast<uint32_t>(options_.concurrency), ""});
  credit_owed_ = 0;
}

void WorkerNode::Release(const Key& key, const std::string& reason) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  auto engine = engines_.find(key.first);
  if (!it->second.labelled && engine != engines_.end()) {
    (void)engine->second.engine->Cancel(it->second.engine_id);
  }
  SendToBroker(proto::Release{key.first, key.second, it->second.attempt, reason, "", ""});
  held_.erase(it);
}

void WorkerNode::StartDrain() {
  draining_ = true;
  drain_deadline_ms_ = options_.clock->NowMs() + options_.drain_timeout_ms;
  std::vector<Key> unlabelled;
  for (const auto& [key, held] : held_) {
    if (!held.labelled) unlabelled.push_back(key);
  }
  for (const Key& key : unlabelled) Release(key, "draining");
  spdlog::info("worker {} draining: handed back {} chunks, delivering {} results", options_.name,
               unlabelled.size(), held_.size());
}

void WorkerNode::Tick(int64_t now) {
  StartDueRelabels(now);
  TickCache(now);
  SendOwedCredit(now);
  broker_->Tick(now, [&] {
    proto::Heartbeat heartbeat;
    for (const auto& [key, held] : held_) {
      heartbeat.leases.push_back({key.first, key.second, held.attempt});
    }
    heartbeat.endpoints = std::move(unsent_endpoint_counts_);
    unsent_endpoint_counts_.clear();
    for (auto& [job, slot] : engines_) {
      heartbeat.in_flight += static_cast<uint32_t>(slot.engine->in_flight());
      if (EndpointPool* pool = slot.engine->pool()) {
        heartbeat.endpoints.push_back(TakeEndpointCounts(job, *pool));
      }
    }
    return heartbeat;
  });
  for (auto& [key, held] : held_) {
    if (held.labelled && now - held.result_sent_ms >= options_.result_resend_ms) {
      ++counters_.results_resent;
      SendResult(key, held);
    }
  }
  // An engine keeps its connections warm between chunks of its job; one idle for a while
  // (its job is over, or another job's chunks are all we get) is closed.
  std::erase_if(engines_, [&](const auto& kv) {
    bool relabel_waiting = std::any_of(held_.begin(), held_.end(), [&](const auto& h) {
      // A chunk between rounds (cache lookups, waits) needs the engine again too.
      return h.first.first == kv.first &&
             (h.second.relabel_at_ms != 0 || (h.second.plan && !h.second.labelled));
    });
    const bool idle = kv.second.engine->pending_chunks() == 0 && !relabel_waiting &&
                      now - kv.second.last_used_ms > kEngineIdleMs;
    if (idle && kv.second.engine->pool() != nullptr) {
      unsent_endpoint_counts_.push_back(TakeEndpointCounts(kv.first, *kv.second.engine->pool()));
    }
    return idle;
  });
  std::erase_if(permits_, [&](const auto& kv) { return !engines_.contains(kv.first); });
}

}  // namespace sieve
