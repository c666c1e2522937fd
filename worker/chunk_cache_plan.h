// ChunkCachePlan: one held chunk's rows grouped by request fingerprint, and where each group
// stands with the result cache (docs/architecture.md, "The result cache and dedupe").
//
// DESIGN
// Every row is rendered as the engine will render it (row object or --body-template) and
// fingerprinted (common/request_fingerprint.h); rows with the same fingerprint form a group,
// answered by one request. A row that cannot be rendered (invalid UTF-8) is a group of its own
// without a fingerprint: it goes to the engine, which fails it unsent, as without the plan.
// A group moves: unasked -> asked -> (hit: done | claim: claimed | wait: waiting -> unasked
// when due) ; claimed -> sending (one representative row in the engine's round batch) -> done.
// Without the cache (--no-cache) every group starts claimed: dedupe inside the chunk needs no
// state. Every row of a group gets the group's answer (or its error), in place, exactly once;
// the result is in input order.
//
// Memory: the chunk's rows' fingerprints (32 bytes each) and one label per group.
// Thread-safety: not thread-safe; the worker loop owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/request_fingerprint.h"
#include "common/status.h"
#include "worker/engine_options.h"
#include "worker/row_batch.h"

namespace sieve {

class ChunkCachePlan {
 public:
  // Renders and fingerprints every row of `batch`. Fails with InvalidArgument when the job's
  // --fields or --body-template do not fit the header (the engine refuses the chunk alike).
  static Result<std::unique_ptr<ChunkCachePlan>> Create(std::shared_ptr<const RowBatch> batch,
                                                        const EngineOptions& options,
                                                        const RequestFingerprinter& fingerprinter,
                                                        bool use_cache);

  bool use_cache() const { return use_cache_; }
  size_t rows() const { return group_of_row_.size(); }
  size_t groups() const { return groups_.size(); }

  // Up to `max` fingerprints (hex) of unasked groups, now marked asked, in group order.
  std::vector<std::string> TakeQuestions(size_t max);
  bool has_unasked() const;
  // Applies the collector's answer to the questions last taken: one answer character per
  // question (proto/cache_messages.h), one label per hit. False (and every asked group back to
  // unasked) when the answer does not fit the questions.
  bool Apply(const std::string& answers, const std::vector<std::string>& labels);
  // Waiting groups become unasked (their claimer may have answered). Returns how many.
  size_t RequeueWaiting();
  bool has_waiting() const;

  // The rows to send now: one per claimed group, as a batch for the engine (row_ids name the
  // rows of this chunk they are, for Idempotency-Keys); null when no group is claimed or a
  // round is still being sent (one round at a time; Absorb ends it).
  std::shared_ptr<RowBatch> TakeRound();
  bool sending() const { return !round_.empty(); }
  // The engine's labels for the batch TakeRound gave. Appends to `fill_keys`/`fill_labels`
  // the fingerprints answered with a label, and to `release` those that failed.
  void Absorb(ChunkLabels round, std::vector<std::string>* fill_keys,
              std::vector<std::string>* fill_labels, std::vector<std::string>* release);

  bool done() const { return done_groups_ == groups_.size(); }
  uint64_t cached_rows() const { return cached_rows_; }
  // REQUIRES: done(). Every row's label (errors for every row of a failed group, by row),
  // the rounds' counters summed.
  ChunkLabels TakeResult();

 private:
  enum class State : uint8_t { kUnasked, kAsked, kWaiting, kClaimed, kSending, kDone };
  struct Group {
    Fingerprint fingerprint{};
    bool keyed = false;           // false: not rendered, never asked, never cached
    uint32_t first_row = 0;       // the representative sent
    uint32_t rows = 0;            // rows in the group
    State state = State::kUnasked;
    bool failed = false;
    std::string label;            // or the error reason when failed
  };
  ChunkCachePlan(std::shared_ptr<const RowBatch> batch, bool use_cache)
      : batch_(std::move(batch)), use_cache_(use_cache) {}
  void Finish(Group& group, std::string label_or_reason, bool failed);

  std::shared_ptr<const RowBatch> batch_;
  const bool use_cache_;
  std::vector<Group> groups_;
  std::vector<uint32_t> group_of_row_;
  std::vector<uint32_t> asked_;  // groups of the questions last taken
  std::vector<uint32_t> round_;  // groups in the engine's round
  size_t done_groups_ = 0;
  uint64_t cached_rows_ = 0;
  EngineCounters counters_;
  std::chrono::milliseconds elapsed_{0};
  std::string error_label_;
};

}  // namespace sieve
