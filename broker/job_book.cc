#include "broker/job_book.h"

#include "common/redact.h"

#include <random>

#include "common/file_util.h"
#include "common/record_format.h"

#include "proto/codec.h"
#include "proto/job_id.h"

namespace sieve {
namespace {

// An endpoint pool (JobSpec::endpoints): at most 64 http(s) URLs, the first the job's endpoint.
Status ValidateEndpointPool(const proto::JobSpec& spec) {
  if (spec.endpoints.empty()) return Status::Ok();
  if (spec.endpoints.size() > 64) return Status::InvalidArgument("more than 64 endpoints");
  if (spec.endpoints.front() != spec.endpoint) {
    return Status::InvalidArgument("the first of the endpoints is not the job's endpoint");
  }
  for (const std::string& url : spec.endpoints) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return Status::InvalidArgument("endpoint '" + RedactUrl(url) +
                                     "' is not an http:// or https:// URL");
    }
  }
  return Status::Ok();
}

Status ValidateSpec(const proto::JobSpec& spec, const std::string& header) {
  if (spec.endpoint.rfind("http://", 0) != 0 && spec.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("endpoint '" + spec.endpoint +
                                   "' is not an http:// or https:// URL");
  }
  SIEVE_RETURN_IF_ERROR(ValidateEndpointPool(spec));
  if (header.empty()) return Status::InvalidArgument("the job has no CSV header record");
  if (spec.label_column.empty()) return Status::InvalidArgument("the label column has no name");
  if (spec.max_attempts == 0) return Status::InvalidArgument("max_attempts must be at least 1");
  SIEVE_RETURN_IF_ERROR(ParseRecordFormat(spec.input_format, "--input-format").status());
  SIEVE_RETURN_IF_ERROR(ParseRecordFormat(spec.output_format, "--output-format").status());
  return Status::Ok();
}

}  // namespace

// The job spec is stored as the msgpack header of a SUBMIT carrying it, so the store reuses the
// protocol's bounded decoder instead of a second format.
std::string EncodeJobSpec(const proto::JobSpec& spec) {
  proto::Submit submit;
  submit.spec = spec;
  return proto::Encode(std::move(submit))[2];
}

Result<proto::JobSpec> DecodeJobSpec(const std::string& blob) {
  proto::Frames frames = proto::Encode(proto::Submit{});
  frames[2] = blob;
  Result<proto::Message> message = proto::Decode(std::move(frames));
  if (!message.ok()) return Status::Corrupt("stored job spec: " + message.status().message());
  return std::get<proto::Submit>(*message).spec;
}

Result<std::unique_ptr<JobBook>> JobBook::Open(const std::string& data_dir, const Clock& clock,
                                               int64_t retain_ms) {
  SIEVE_RETURN_IF_ERROR(MakeDirs(data_dir + "/spool"));
  Result<std::unique_ptr<BrokerStore>> store = BrokerStore::Open(data_dir + "/broker.db");
  if (!store.ok()) return store.status();
  std::unique_ptr<JobBook> book(
      new JobBook(std::move(*store), data_dir + "/spool", clock, retain_ms));
  SIEVE_RETURN_IF_ERROR(book->Load());
  return book;
}

Status JobBook::Load() {
  Result<std::vector<JobRecord>> records = store_->LoadJobs();
  if (!records.ok()) return records.status();
  const int64_t now = clock_.WallMs();
  for (JobRecord& record : *records) {
    if (PastRetention(record, now)) continue;  // answered from SQLite (LoadStored)
    JobEntry entry;
    Result<proto::JobSpec> spec = DecodeJobSpec(record.spec);
    if (!spec.ok()) return spec.status();
    entry.spec = std::move(*spec);
    Result<std::vector<ChunkRecord>> chunks = store_->LoadChunks(record.job_id);
    if (!chunks.ok()) return chunks.status();
    entry.chunks = std::move(*chunks);
    entry.record = std::move(record);
    for (const ChunkRecord& c : entry.chunks) {
      if (c.state == ChunkState::kCommitted) {
        ++entry.chunks_committed;
        // (`failed` is stored since issue 19; before, failures past max_attempts meant it)
        entry.chunks_failed += c.failed || c.failures >= entry.spec.max_attempts ? 1 : 0;
      } else if (entry.active()) {
        queue_.PushBack(c.job_id, c.chunk_index);
      }
    }
    std::string id = entry.record.job_id;
    jobs_.emplace(id, std::move(entry));
  }
  return Status::Ok();
}

std::string JobBook::NewJobId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  while (true) {
    std::string id = proto::FormatJobId(rng());
    if (!jobs_.contains(id)) return id;
  }
}

Result<std::string> JobBook::Create(const proto::Submit& submit, const std::string& client) {
  SIEVE_RETURN_IF_ERROR(ValidateSpec(submit.spec, submit.header_record));
  JobEntry entry;
  entry.spec = submit.spec;
  entry.record.job_id = NewJobId();
  entry.record.name = submit.spec.name;
  entry.record.spec = EncodeJobSpec(submit.spec);
  entry.record.header = submit.header_record;
  entry.record.state = JobState::kOpen;
  entry.record.created_ms = clock_.WallMs();
  entry.record.client = client;
  SIEVE_RETURN_IF_ERROR(store_->CreateJob(entry.record));
  std::string id = entry.record.job_id;
  jobs_.emplace(id, std::move(entry));
  return id;
}

Status JobBook::AddChunk(const proto::Chunk& chunk) {
  JobEntry* job = Find(chunk.job_id);
  if (job == nullptr) return Status::NotFound("no job " + chunk.job_id);
  if (chunk.chunk_index < job->chunks.size()) return Status::Ok();  // a retried upload
  if (job->record.state != JobState::kOpen) {
    return Status::InvalidArgument("job " + chunk.job_id + " is " +
                                   std::string(proto::EnumName(job->record.state)) +
                                   " and takes no more chunks");
  }
  if (chunk.chunk_index != job->chunks.size()) {
    return Status::InvalidArgument("chunk " + std::to_string(chunk.chunk_index) + " of job " +
                                   chunk.job_id + " arrived before chunk " +
                                   std::to_string(job->chunks.size()));
  }
  if (chunk.row_count == 0 || chunk.row_count > UINT32_MAX) {
    return Status::InvalidArgument("chunk row count out of range");
  }
  ChunkRecord record{chunk.job_id, chunk.chunk_index, chunk.first_row,
                     static_cast<uint32_t>(chunk.row_count), chunk.chunk.size(),
                     ChunkState::kQueued, 0, 0};
  SIEVE_RETURN_IF_ERROR(spool_.Put(chunk.job_id, chunk.chunk_index, chunk.chunk));
  SIEVE_RETURN_IF_ERROR(store_->AddChunk(record));
  job->chunks.push_back(record);
  queue_.PushBack(chunk.job_id, chunk.chunk_index);
  return Status::Ok();
}

Status JobBook::Seal(const proto::Seal& seal) {
  JobEntry* job = Find(seal.job_id);
  if (job == nullptr) return Status::NotFound("no job " + seal.job_id);
  if (job->record.state != JobState::kOpen) return Status::Ok();  // sealed before: idempotent
  uint64_t rows = 0;
  for (const ChunkRecord& c : job->chunks) rows += c.row_count;
  if (seal.total_chunks != job->chunks.size() || seal.total_rows != rows) {
    return Status::InvalidArgument(
        "seal of job " + seal.job_id + " says " + std::to_string(seal.total_chunks) +
        " chunks and " + std::to_string(seal.total_rows) + " rows, but the broker holds " +
        std::to_string(job->chunks.size()) + " chunks and " + std::to_string(rows) + " rows");
  }
  SIEVE_RETURN_IF_ERROR(store_->SealJob(seal.job_id, seal.total_chunks, seal.total_rows));
  job->record.state = JobState::kSealed;
  job->record.total_chunks = seal.total_chunks;
  job->record.total_rows = seal.total_rows;
  return Status::Ok();
}

Result<bool> JobBook::Commit(const std::string& job_id, uint64_t chunk_index,
                             uint64_t error_rows, bool failed, uint64_t prompt_tokens,
                             uint64_t completion_tokens) {
  JobEntry* job = Find(job_id);
  if (job == nullptr || chunk_index >= job->chunks.size()) return false;
  ChunkRecord& chunk = job->chunks[chunk_index];
  if (chunk.state == ChunkState::kCommitted) return false;
  Result<bool> now = store_->CommitChunk(job_id, chunk_index, error_rows, failed, prompt_tokens,
                                         completion_tokens);
  if (!now.ok()) return now.status();
  chunk.state = ChunkState::kCommitted;
  chunk.failed = failed;
  chunk.prompt_tokens = prompt_tokens;
  chunk.completion_tokens = completion_tokens;
  ++job->chunks_committed;
  job->chunks_failed += failed ? 1 : 0;
  job->record.done_rows += chunk.row_count;
  job->record.error_rows += error_rows;
  (void)spool_.Remove(job_id, chunk_index);  // best effort: the job's spool goes when it ends
  return true;
}

Status JobBook::MarkDone(const std::string& job_id, const std::string& output_path) {
  JobEntry* job = Find(job_id);
  if (job == nullptr || job->record.state == JobState::kDone) return Status::Ok();
  int64_t now = clock_.WallMs();
  SIEVE_RETURN_IF_ERROR(store_->SetOutputPath(job_id, output_path));
  SIEVE_RETURN_IF_ERROR(store_->SetJobState(job_id, JobState::kDone, now, ""));
  job->record.state = JobState::kDone;
  job->record.finished_ms = now;
  job->record.output_path = output_path;
  return spool_.RemoveJob(job_id);
}

Status JobBook::SetBudgetExhausted(const std::string& job_id, bool exhausted) {
  JobEntry* job = Find(job_id);
  if (job == nullptr) return Status::NotFound("no job " + job_id);
  const JobState from = exhausted ? JobState::kSealed : JobState::kBudgetExhausted;
  if (job->record.state != from) return Status::Ok();
  const JobState to = exhausted ? JobState::kBudgetExhausted : JobState::kSealed;
  SIEVE_RETURN_IF_ERROR(store_->SetJobState(job_id, to, 0, ""));
  job->record.state = to;
  return Status::Ok();
}

Status JobBook::SetPaused(const std::string& job_id, bool paused, const std::string& reason) {
  JobEntry* job = Find(job_id);
  if (job == nullptr) return Status::NotFound("no job " + job_id);
  const JobState state = job->record.state;
  const bool from = paused ? state == JobState::kSealed || state == JobState::kBudgetExhausted
                           : state == JobState::kPaused;
  if (!from) return Status::Ok();
  const JobState to = paused ? JobState::kPaused : JobState::kSealed;
  SIEVE_RETURN_IF_ERROR(store_->SetJobState(job_id, to, 0, reason));
  job->record.state = to;
  job->record.message = reason;
  return Status::Ok();
}

Status JobBook::SetBudget(const std::string& job_id, const std::string& max_cost,
                          uint64_t max_tokens) {
  JobEntry* job = Find(job_id);
  if (job == nullptr) return Status::NotFound("no job " + job_id);
  proto::JobSpec spec = job->spec;
  spec.max_cost = max_cost;
  spec.max_tokens = max_tokens;
  std::string encoded = EncodeJobSpec(spec);
  SIEVE_RETURN_IF_ERROR(store_->SetJobSpec(job_id, encoded));
  job->spec = std::move(spec);
  job->record.spec = std::move(encoded);
  return Status::Ok();
}

Status JobBook::Cancel(const std::string& job_id, const std::string& reason) {
  return End(job_id, JobState::kCancelled, reason);
}

Status JobBook::Fail(const std::string& job_id, const std::string& reason) {
  return End(job_id, JobState::kFailed, reason);
}

Status JobBook::End(const std::string& job_id, JobState state, const std::string& reason) {
  JobEntry* job = Find(job_id);
  if (job == nullptr) return Status::NotFound("no job " + job_id);
  if (!job->active()) return Status::Ok();
  int64_t now = clock_.WallMs();
  SIEVE_RETURN_IF_ERROR(store_->SetJobState(job_id, state, now, reason));
  job->record.state = state;
  job->record.finished_ms = now;
  job->record.message = reason;
  queue_.RemoveJob(job_id);
  return spool_.RemoveJob(job_id);
}

std::optional<ChunkKey> JobBook::NextQueued() {
  while (std::optional<ChunkKey> key = queue_.Pop()) {
    ChunkRecord* chunk = FindChunk(*key);
    JobEntry* job = Find(key->job_id);
    if (chunk != nullptr && chunk->state == ChunkState::kQueued && job->active()) return key;
  }
  return std::nullopt;
}

JobEntry* JobBook::Find(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const JobEntry* JobBook::Find(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

ChunkRecord* JobBook::FindChunk(const ChunkKey& key) {
  JobEntry* job = Find(key.job_id);
  if (job == nullptr || key.chunk_index >= job->chunks.size()) return nullptr;
  return &job->chunks[key.chunk_index];
}

Status JobBook::SaveAttempts(const ChunkRecord& chunk) {
  return store_->SaveChunkCounters(chunk);
}

Result<std::string> JobBook::ChunkBytes(const ChunkKey& chunk) const {
  return spool_.Get(chunk.job_id, chunk.chunk_index);
}

bool JobBook::PastRetention(const JobRecord& record, int64_t now_wall_ms) const {
  bool ended = record.state == JobState::kDone || record.state == JobState::kFailed ||
               record.state == JobState::kCancelled;
  return retain_ms_ >= 0 && ended && record.finished_ms > 0 &&
         now_wall_ms - record.finished_ms >= retain_ms_;
}

std::vector<std::string> JobBook::EvictEnded() {
  std::vector<std::string> evicted;
  const int64_t now = clock_.WallMs();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (!PastRetention(it->second.record, now)) {
      ++it;
      continue;
    }
    evicted.push_back(it->first);
    queue_.RemoveJob(it->first);
    it = jobs_.erase(it);
  }
  return evicted;
}

Result<std::vector<std::string>> JobBook::Purge(int64_t purge_ms, size_t limit) {
  Result<std::vector<std::string>> old = store_->EndedBefore(clock_.WallMs() - purge_ms, limit);
  if (!old.ok()) return old.status();
  for (const std::string& id : *old) {
    SIEVE_RETURN_IF_ERROR(spool_.RemoveJob(id));
    SIEVE_RETURN_IF_ERROR(store_->DeleteJob(id));
    queue_.RemoveJob(id);
    jobs_.erase(id);
  }
  return old;
}

Result<std::pair<JobRecord, proto::JobSpec>> JobBook::RecordAndSpec(
    const std::string& job_id) const {
  if (const JobEntry* job = Find(job_id)) return std::make_pair(job->record, job->spec);
  Result<StoredJob> stored = store_->LoadStoredJob(job_id);
  if (!stored.ok()) return stored.status();
  Result<proto::JobSpec> spec = DecodeJobSpec(stored->record.spec);
  if (!spec.ok()) return spec.status();
  return std::make_pair(std::move(stored->record), std::move(*spec));
}

Status JobBook::SetErrorRows(const std::string& job_id, uint64_t error_rows) {
  SIEVE_RETURN_IF_ERROR(store_->SetErrorRows(job_id, error_rows));
  if (JobEntry* job = Find(job_id)) job->record.error_rows = error_rows;
  return Status::Ok();
}

Result<StoredJob> JobBook::LoadStored(const std::string& job_id) const {
  return store_->LoadStoredJob(job_id);
}

Result<std::vector<StoredJob>> JobBook::LoadStoredAll(size_t limit) const {
  Result<std::vector<JobRecord>> records = store_->LoadJobs();  // oldest first
  if (!records.ok()) return records.status();
  std::vector<StoredJob> stored;
  for (auto it = records->rbegin(); it != records->rend() && stored.size() < limit; ++it) {
    if (jobs_.contains(it->job_id)) continue;
    Result<StoredJob> job = store_->LoadStoredJob(it->job_id);
    if (job.ok()) stored.push_back(std::move(*job));
  }
  return stored;
}

}  // namespace sieve
