// The broker's side of the collector link: the collector's READY, opening jobs at it, COMMITTED
// and JOB_DONE (docs/protocol.md, "Broker and collector").
#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/broker.h"

namespace sieve {

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

}  // namespace sieve
