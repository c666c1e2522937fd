// The broker loop's side of the web console (broker/console_board.h, broker/console_actions.h):
// publishing what the console shows, and carrying out the actions its HTTP handlers queue.
//
// DESIGN
// Both run on the loop thread, so the loop stays the only owner of its state. PublishConsole
// runs from Publish, at most once a second: O(jobs + workers) copies of the status Publish
// already built, plus one O(chunks) pass over each active job for its chunk strip (a lease
// look-up per chunk, as StatusOf does). A job's spec and an ended job's strip
// are built once, the first time the board sees the job (console_known_). DrainConsoleActions runs once per loop iteration: one mutex lock when
// nothing is queued; each queued action is looked up in the action table below and run.
// To add an action (e.g. "retry"): a `Status Broker::ConsoleX(job_id, who)` and one line in
// ConsoleActionTable(); the gate, the page and the API pick it up from ConsoleActionNames().
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "broker/broker.h"
#include "net/zmq_io.h"

namespace sieve {
namespace {

constexpr int64_t kConsolePublishMs = ConsoleBoard::kSampleMs;

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const std::vector<std::pair<std::string, Broker::ConsoleActionFn>>& Broker::ConsoleActionTable() {
  static const std::vector<std::pair<std::string, ConsoleActionFn>> kActions = {
      {"cancel", &Broker::ConsoleCancel},
      // {"retry", &Broker::ConsoleRetry},  once `sieve retry` exists (issue 18)
  };
  return kActions;
}

std::vector<std::string> Broker::ConsoleActionNames() {
  std::vector<std::string> names;
  for (const auto& [name, run] : ConsoleActionTable()) names.push_back(name);
  return names;
}

std::string Broker::ChunkStrip(const JobEntry& job) const {
  const size_t n = std::min(job.chunks.size(), ConsoleBoard::kMaxStripChunks);
  std::string strip;
  strip.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const ChunkRecord& c = job.chunks[i];
    char letter = kChunkQueued;
    if (c.state == ChunkState::kCommitted) {
      letter = c.failed ? kChunkFailed : kChunkCommitted;
    } else if (job.active() && leases_.Find(ChunkKey{c.job_id, c.chunk_index}).has_value()) {
      letter = kChunkLeased;
    }
    strip += letter;
  }
  return strip;
}

void Broker::PublishConsole(int64_t now, const std::vector<proto::JobStatus>& jobs) {
  // Once a second (the board's sample interval), not every publish_ms: rows/s and the chart
  // need no more, and the loop pays a quarter of the copies.
  if (now < next_console_publish_ms_) return;
  next_console_publish_ms_ = now + kConsolePublishMs;
  ConsoleSnapshot snapshot;
  snapshot.now_unix_ms = UnixNowMs();
  snapshot.jobs.reserve(jobs.size());
  std::map<std::string, bool> known;
  for (const proto::JobStatus& status : jobs) {
    ConsoleJob job;
    job.status = status;
    auto before = console_known_.find(status.job_id);
    const bool first = before == console_known_.end();
    const JobEntry* entry = book_->Find(status.job_id);
    // An ended job's strip changes no more: built once after it ends, then kept by the board.
    const bool stale = entry != nullptr && (first || entry->active() || before->second);
    if (entry != nullptr && first) job.spec = ConsoleSpec(entry->spec);  // null: board keeps it
    job.chunks_fresh = stale;
    if (job.chunks_fresh) job.chunks = ChunkStrip(*entry);
    known[status.job_id] = job.chunks_fresh ? entry->active() : !first && before->second;
    snapshot.jobs.push_back(std::move(job));
  }
  console_known_ = std::move(known);
  for (const auto& [id, w] : workers_) {
    ConsoleWorker worker;
    worker.name = w.name;
    worker.address = IdentityToString(id);
    worker.version = w.version;
    worker.concurrency = w.concurrency;
    worker.credit = w.credit;
    worker.leases = static_cast<uint32_t>(leases_.CountByWorker(id));
    worker.last_heartbeat_age_ms = static_cast<uint64_t>(std::max<int64_t>(0, now - w.last_seen_ms));
    worker.rows_done = w.rows_done;
    worker.in_flight = w.in_flight;
    snapshot.workers.push_back(std::move(worker));
  }
  for (proto::LimitInfo& info : quota_.Limits()) {
    ConsoleLimit limit;
    limit.key = std::move(info.key);
    limit.limit = info.rate;
    if (!info.token_rate.empty()) {
      limit.limit += (limit.limit.empty() ? "" : ", ") + info.token_rate + " tokens";
    }
    limit.rate = static_cast<double>(info.granted_last_minute) / 60.0;
    limit.pauses = info.pauses;
    snapshot.limits.push_back(std::move(limit));
  }
  console_board_.Publish(std::move(snapshot));
}

void Broker::DrainConsoleActions() {
  for (ConsoleAction& action : console_actions_.TakeAll()) {
    Status s = Status::NotFound("no console action " + action.name);
    for (const auto& [name, run] : ConsoleActionTable()) {
      if (name == action.name) s = (this->*run)(action.job_id, action.who);
    }
    if (s.ok()) {
      spdlog::info("console: {} of job {} by {}: done", action.name, action.job_id, action.who);
    } else {
      spdlog::warn("console: {} of job {} by {}: {}", action.name, action.job_id, action.who,
                   s.message());
    }
    action.done.set_value(std::move(s));
  }
}

Status Broker::ConsoleCancel(const std::string& job_id, const std::string& who) {
  const JobEntry* job = book_->Find(job_id);
  if (job == nullptr) return Status::NotFound("no job " + job_id + " in the broker's memory");
  if (!job->active()) {
    return Status::InvalidArgument("job " + job_id + " has ended (" +
                                   std::string(proto::EnumName(job->record.state)) + ")");
  }
  return CancelJob(job_id, "cancelled from the console by " + who);
}

}  // namespace sieve
