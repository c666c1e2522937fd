#include "worker/chunk_cache_plan.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "common/body_template.h"
#include "proto/cache_messages.h"
#include "worker/json_body.h"
#include "worker/label_set.h"

namespace sieve {
namespace {

struct FingerprintHash {
  size_t operator()(const Fingerprint& f) const {
    size_t h = 0;
    for (size_t i = 0; i < sizeof(size_t); ++i) h = h << 8 | f[i];
    return h;  // already uniformly distributed (SHA-256)
  }
};

}  // namespace

Result<std::unique_ptr<ChunkCachePlan>> ChunkCachePlan::Create(
    std::shared_ptr<const RowBatch> batch, const EngineOptions& options,
    const RequestFingerprinter& fingerprinter, bool use_cache) {
  Result<RowEncoder> encoder = RowEncoder::Create(batch->header, options.fields);
  if (!encoder.ok()) return encoder.status();
  std::optional<BodyTemplate> body_template;
  if (!options.body_template.empty()) {
    Result<BodyTemplate> compiled = BodyTemplate::Compile(options.body_template, batch->header);
    if (!compiled.ok()) return compiled.status();
    body_template = std::move(compiled).value();
  }
  std::unique_ptr<ChunkCachePlan> plan(new ChunkCachePlan(batch, use_cache));
  plan->error_label_ = options.error_label;
  plan->group_of_row_.resize(batch->rows.size());
  std::unordered_map<Fingerprint, uint32_t, FingerprintHash> by_fingerprint;
  by_fingerprint.reserve(batch->rows.size());
  std::string body;
  for (uint32_t row = 0; row < batch->rows.size(); ++row) {
    body.clear();
    // The body the engine would send (worker/chunk_tracker.cc): a JSON Lines row's own object,
    // else the template or the fields' object.
    Status rendered = Status::Ok();
    if (row < batch->bodies.size()) {
      body = batch->bodies[row];
    } else {
      rendered = body_template ? body_template->Append(batch->rows[row], &body)
                               : encoder->AppendObject(batch->rows[row], &body);
    }
    Group group;
    group.first_row = row;
    group.rows = 1;
    if (rendered.ok()) {
      group.fingerprint = fingerprinter.Of(body);
      // An all-zero value means hashing failed (out of memory): never group by it.
      group.keyed = group.fingerprint != Fingerprint{};
    }
    if (group.keyed) {
      auto [it, fresh] =
          by_fingerprint.try_emplace(group.fingerprint, static_cast<uint32_t>(plan->groups_.size()));
      if (!fresh) {
        plan->group_of_row_[row] = it->second;
        ++plan->groups_[it->second].rows;
        continue;
      }
    }
    group.state = use_cache && group.keyed ? State::kUnasked : State::kClaimed;
    plan->group_of_row_[row] = static_cast<uint32_t>(plan->groups_.size());
    plan->groups_.push_back(std::move(group));
  }
  return plan;
}

std::vector<std::string> ChunkCachePlan::TakeQuestions(size_t max) {
  asked_.clear();
  std::vector<std::string> out;
  for (uint32_t g = 0; g < groups_.size() && out.size() < max; ++g) {
    if (groups_[g].state != State::kUnasked) continue;
    groups_[g].state = State::kAsked;
    asked_.push_back(g);
    out.push_back(ToHex(groups_[g].fingerprint));
  }
  return out;
}

bool ChunkCachePlan::has_unasked() const {
  return std::any_of(groups_.begin(), groups_.end(),
                     [](const Group& g) { return g.state == State::kUnasked; });
}

bool ChunkCachePlan::has_waiting() const {
  return std::any_of(groups_.begin(), groups_.end(),
                     [](const Group& g) { return g.state == State::kWaiting; });
}

bool ChunkCachePlan::Apply(const std::string& answers, const std::vector<std::string>& labels) {
  const size_t hits = static_cast<size_t>(std::count(answers.begin(), answers.end(), proto::kCacheHit));
  if (answers.size() != asked_.size() || hits != labels.size()) {
    for (uint32_t g : asked_) groups_[g].state = State::kUnasked;
    asked_.clear();
    return false;
  }
  size_t next_label = 0;
  for (size_t i = 0; i < asked_.size(); ++i) {
    Group& group = groups_[asked_[i]];
    switch (answers[i]) {
      case proto::kCacheHit:
        cached_rows_ += group.rows;
        Finish(group, labels[next_label++], /*failed=*/false);
        break;
      case proto::kCacheWait: group.state = State::kWaiting; break;
      case proto::kCacheAskAgain: group.state = State::kUnasked; break;
      default: group.state = State::kClaimed; break;  // claim, or unknown: send it ourselves
    }
  }
  asked_.clear();
  return true;
}

size_t ChunkCachePlan::RequeueWaiting() {
  size_t n = 0;
  for (Group& g : groups_) {
    if (g.state == State::kWaiting) {
      g.state = State::kUnasked;
      ++n;
    }
  }
  return n;
}

std::shared_ptr<RowBatch> ChunkCachePlan::TakeRound() {
  if (!round_.empty()) return nullptr;  // one round at a time: Absorb ends it
  auto batch = std::make_shared<RowBatch>();
  batch->job_id = batch_->job_id;
  batch->chunk_index = batch_->chunk_index;
  batch->header = batch_->header;
  for (uint32_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].state != State::kClaimed) continue;
    groups_[g].state = State::kSending;
    round_.push_back(g);
    batch->rows.push_back(batch_->rows[groups_[g].first_row]);
    if (groups_[g].first_row < batch_->bodies.size()) {
      batch->bodies.push_back(batch_->bodies[groups_[g].first_row]);
    }
    batch->row_ids.push_back(groups_[g].first_row);
  }
  if (round_.empty()) return nullptr;
  return batch;
}

void ChunkCachePlan::Absorb(ChunkLabels round, std::vector<std::string>* fill_keys,
                            std::vector<std::string>* fill_labels,
                            std::vector<std::string>* release) {
  std::vector<const RowError*> error_of(round_.size(), nullptr);
  for (const RowError& e : round.errors) {
    if (e.row < error_of.size()) error_of[e.row] = &e;
  }
  for (size_t i = 0; i < round_.size(); ++i) {
    Group& group = groups_[round_[i]];
    if (error_of[i] != nullptr) {
      if (group.keyed && use_cache_) release->push_back(ToHex(group.fingerprint));
      Finish(group, error_of[i]->reason, /*failed=*/true);
    } else {
      std::string label = i < round.labels.size() ? std::move(round.labels[i]) : std::string();
      if (group.keyed && use_cache_) {
        fill_keys->push_back(ToHex(group.fingerprint));
        fill_labels->push_back(label);
      }
      Finish(group, std::move(label), /*failed=*/false);
    }
  }
  round_.clear();
  counters_.Add(round.counters);
  elapsed_ += round.elapsed;
}

void ChunkCachePlan::Finish(Group& group, std::string label_or_reason, bool failed) {
  group.state = State::kDone;
  group.failed = failed;
  group.label = std::move(label_or_reason);
  ++done_groups_;
}

ChunkLabels ChunkCachePlan::TakeResult() {
  ChunkLabels out;
  out.labels.resize(group_of_row_.size());
  for (uint32_t row = 0; row < group_of_row_.size(); ++row) {
    const Group& group = groups_[group_of_row_[row]];
    if (group.failed) {
      out.labels[row] = error_label_;
      out.errors.push_back(RowError{row, group.label});
    } else {
      out.labels[row] = group.label;
    }
  }
  out.counters = counters_;
  // The engine counted one invalid row per group it sent; the group's repeats are invalid too.
  for (const Group& group : groups_) {
    if (group.failed && group.rows > 1 && IsInvalidAnswerReason(group.label)) {
      out.counters.rows_invalid += group.rows - 1;
    }
  }
  out.elapsed = elapsed_;
  return out;
}

}  // namespace sieve
