// ChunkCachePlan: grouping by fingerprint (dedupe), the cache answers (hit / claim / wait /
// ask again), rounds of representative rows, and every row answered in place, in order.
#include "worker/chunk_cache_plan.h"

#include <gtest/gtest.h>

#include <set>

#include "proto/cache_messages.h"

namespace sieve {
namespace {

std::shared_ptr<RowBatch> Batch(std::vector<std::vector<std::string>> rows) {
  auto batch = std::make_shared<RowBatch>();
  batch->job_id = "j1";
  batch->chunk_index = 3;
  batch->header = {"id", "text"};
  batch->rows = std::move(rows);
  return batch;
}

FingerprintInputs Inputs() {
  FingerprintInputs in;
  in.endpoint = "http://127.0.0.1:9/classify";
  in.label_field = "label";
  return in;
}

EngineOptions Rendering(std::vector<std::string> fields = {"text"}) {
  EngineOptions options;
  options.fields = std::move(fields);
  options.error_label = "ERR";
  return options;
}

std::unique_ptr<ChunkCachePlan> Plan(std::shared_ptr<RowBatch> batch, bool use_cache,
                                     const EngineOptions& options = Rendering()) {
  Result<std::unique_ptr<ChunkCachePlan>> plan =
      ChunkCachePlan::Create(std::move(batch), options, RequestFingerprinter(Inputs()), use_cache);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? std::move(*plan) : nullptr;
}

// The engine's answer to a round: row i of the round gets labels[i]; `failed` rows an error.
ChunkLabels Answer(std::vector<std::string> labels, std::set<uint32_t> failed = {}) {
  ChunkLabels out;
  for (uint32_t i = 0; i < labels.size(); ++i) {
    if (failed.count(i) != 0) {
      out.errors.push_back(RowError{i, "HTTP 500 after 4 attempts"});
      labels[i] = "ERR";
    }
  }
  out.labels = std::move(labels);
  out.counters.requests = out.labels.size();
  return out;
}

struct Fill {
  std::vector<std::string> keys, labels, release;
};

TEST(ChunkCachePlanTest, RepeatedRowsAreSentOnceAndAnsweredInPlaceWithoutTheCache) {
  // Rows 0, 2 and 4 render the same body ({"text":"a"}: only `text` is sent); so do 1 and 3.
  auto plan = Plan(Batch({{"1", "a"}, {"2", "b"}, {"3", "a"}, {"4", "b"}, {"5", "a"}, {"6", "c"}}),
                   /*use_cache=*/false);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->rows(), 6u);
  EXPECT_EQ(plan->groups(), 3u);
  EXPECT_FALSE(plan->has_unasked());  // nothing to ask without the cache
  EXPECT_TRUE(plan->TakeQuestions(100).empty());

  std::shared_ptr<RowBatch> round = plan->TakeRound();
  ASSERT_NE(round, nullptr);
  EXPECT_EQ(round->job_id, "j1");
  EXPECT_EQ(round->chunk_index, 3u);
  ASSERT_EQ(round->rows.size(), 3u);
  EXPECT_EQ(round->rows[0][1], "a");
  EXPECT_EQ(round->rows[1][1], "b");
  EXPECT_EQ(round->rows[2][1], "c");
  EXPECT_EQ(round->row_ids, (std::vector<uint32_t>{0, 1, 5}));
  EXPECT_TRUE(plan->sending());
  EXPECT_EQ(plan->TakeRound(), nullptr);  // nothing else is claimed

  Fill fill;
  plan->Absorb(Answer({"x", "y", "z"}), &fill.keys, &fill.labels, &fill.release);
  EXPECT_TRUE(fill.keys.empty());  // --no-cache: nothing filled
  EXPECT_TRUE(fill.release.empty());
  ASSERT_TRUE(plan->done());
  EXPECT_EQ(plan->cached_rows(), 0u);
  ChunkLabels result = plan->TakeResult();
  EXPECT_EQ(result.labels, (std::vector<std::string>{"x", "y", "x", "y", "x", "z"}));
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.counters.requests, 3u);
}

TEST(ChunkCachePlanTest, TheBodySentDecidesTheGroupNotTheWholeRow) {
  // With every column sent, rows differing only in `id` are different requests.
  auto all_columns = Plan(Batch({{"1", "a"}, {"2", "a"}}), false, Rendering({}));
  ASSERT_NE(all_columns, nullptr);
  EXPECT_EQ(all_columns->groups(), 2u);
  // With a template that uses `text` only, they are one request.
  EngineOptions templated = Rendering({});
  templated.body_template = R"({"messages":[{"role":"user","content":"{{text}}"}]})";
  auto by_template = Plan(Batch({{"1", "a"}, {"2", "a"}, {"3", "b"}}), false, templated);
  ASSERT_NE(by_template, nullptr);
  EXPECT_EQ(by_template->groups(), 2u);
}

TEST(ChunkCachePlanTest, HitsClaimsAndWaitsWithTheCache) {
  auto plan = Plan(Batch({{"1", "a"}, {"2", "b"}, {"3", "a"}, {"4", "c"}, {"5", "c"}}), true);
  ASSERT_NE(plan, nullptr);
  ASSERT_TRUE(plan->has_unasked());
  EXPECT_EQ(plan->TakeRound(), nullptr);  // nothing is claimed before the collector answers

  std::vector<std::string> keys = plan->TakeQuestions(proto::kMaxCacheKeys);
  ASSERT_EQ(keys.size(), 3u);  // a, b, c: distinct fingerprints only
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 3u);
  EXPECT_EQ(keys[0].size(), 64u);  // hex SHA-256
  EXPECT_FALSE(plan->has_unasked());

  // a: hit ("cat"), b: claimed by us, c: another lease is sending it.
  ASSERT_TRUE(plan->Apply("hcw", {"cat"}));
  EXPECT_EQ(plan->cached_rows(), 2u);  // both rows of a
  EXPECT_TRUE(plan->has_waiting());
  EXPECT_FALSE(plan->done());

  std::shared_ptr<RowBatch> round = plan->TakeRound();
  ASSERT_NE(round, nullptr);
  EXPECT_EQ(round->row_ids, (std::vector<uint32_t>{1}));
  Fill fill;
  plan->Absorb(Answer({"dog"}), &fill.keys, &fill.labels, &fill.release);
  EXPECT_EQ(fill.keys, (std::vector<std::string>{keys[1]}));
  EXPECT_EQ(fill.labels, (std::vector<std::string>{"dog"}));
  EXPECT_FALSE(plan->done());

  // The wait is over: c is asked again, and now the claimer has filled it.
  EXPECT_EQ(plan->RequeueWaiting(), 1u);
  EXPECT_FALSE(plan->has_waiting());
  std::vector<std::string> again = plan->TakeQuestions(proto::kMaxCacheKeys);
  EXPECT_EQ(again, (std::vector<std::string>{keys[2]}));
  ASSERT_TRUE(plan->Apply("h", {"eel"}));
  ASSERT_TRUE(plan->done());
  EXPECT_EQ(plan->cached_rows(), 4u);  // a's two rows and c's two rows; b was sent

  ChunkLabels result = plan->TakeResult();
  EXPECT_EQ(result.labels, (std::vector<std::string>{"cat", "dog", "cat", "eel", "eel"}));
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.counters.requests, 1u);
}

TEST(ChunkCachePlanTest, AnAnswerThatDoesNotFitPutsEveryQuestionBack) {
  auto plan = Plan(Batch({{"1", "a"}, {"2", "b"}}), true);
  ASSERT_NE(plan, nullptr);
  std::vector<std::string> keys = plan->TakeQuestions(proto::kMaxCacheKeys);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_FALSE(plan->Apply("h", {"x"}));        // one answer for two questions
  EXPECT_EQ(plan->TakeQuestions(proto::kMaxCacheKeys), keys);
  EXPECT_FALSE(plan->Apply("hh", {"x"}));       // two hits, one label
  EXPECT_EQ(plan->TakeQuestions(proto::kMaxCacheKeys), keys);
  EXPECT_FALSE(plan->Apply("cc", {"stray"}));   // a label without a hit
  EXPECT_EQ(plan->cached_rows(), 0u);
  EXPECT_EQ(plan->TakeQuestions(proto::kMaxCacheKeys), keys);
  ASSERT_TRUE(plan->Apply("cc", {}));
  EXPECT_FALSE(plan->has_unasked());
  ASSERT_NE(plan->TakeRound(), nullptr);
}

TEST(ChunkCachePlanTest, QuestionsComeAtMostMaxAtATimeAndAskAgainRequeues) {
  auto plan = Plan(Batch({{"1", "a"}, {"2", "b"}, {"3", "c"}}), true);
  ASSERT_NE(plan, nullptr);
  std::vector<std::string> first = plan->TakeQuestions(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(plan->has_unasked());
  // The collector answered the first, asks for the second again (its reply was full).
  ASSERT_TRUE(plan->Apply("ca", {}));
  std::vector<std::string> second = plan->TakeQuestions(2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0], first[1]);
  ASSERT_TRUE(plan->Apply("cc", {}));
  std::shared_ptr<RowBatch> round = plan->TakeRound();
  ASSERT_NE(round, nullptr);
  EXPECT_EQ(round->row_ids, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(ChunkCachePlanTest, AFailedGroupReleasesItsClaimAndEveryRowGetsTheError) {
  auto plan = Plan(Batch({{"1", "a"}, {"2", "b"}, {"3", "a"}, {"4", "b"}}), true);
  ASSERT_NE(plan, nullptr);
  std::vector<std::string> keys = plan->TakeQuestions(proto::kMaxCacheKeys);
  ASSERT_TRUE(plan->Apply("cc", {}));
  ASSERT_NE(plan->TakeRound(), nullptr);
  Fill fill;
  plan->Absorb(Answer({"x", "y"}, /*failed=*/{0}), &fill.keys, &fill.labels, &fill.release);
  EXPECT_EQ(fill.release, (std::vector<std::string>{keys[0]}));  // never cached, released
  EXPECT_EQ(fill.keys, (std::vector<std::string>{keys[1]}));
  ASSERT_TRUE(plan->done());
  ChunkLabels result = plan->TakeResult();
  EXPECT_EQ(result.labels, (std::vector<std::string>{"ERR", "y", "ERR", "y"}));
  ASSERT_EQ(result.errors.size(), 2u);  // one per failed row, by row
  EXPECT_EQ(result.errors[0].row, 0u);
  EXPECT_EQ(result.errors[1].row, 2u);
  EXPECT_EQ(result.errors[1].reason, "HTTP 500 after 4 attempts");
}

TEST(ChunkCachePlanTest, ARowThatCannotBeRenderedIsNeverAskedNorGrouped) {
  const std::string bad = "\xff\xfe";  // not UTF-8: the engine fails it unsent
  auto plan = Plan(Batch({{"1", bad}, {"2", bad}, {"3", "a"}}), true);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->groups(), 3u);  // the two bad rows are not deduplicated
  EXPECT_EQ(plan->TakeQuestions(proto::kMaxCacheKeys).size(), 1u);  // only "a"
  ASSERT_TRUE(plan->Apply("c", {}));
  std::shared_ptr<RowBatch> round = plan->TakeRound();
  ASSERT_NE(round, nullptr);
  EXPECT_EQ(round->row_ids, (std::vector<uint32_t>{0, 1, 2}));
  Fill fill;
  plan->Absorb(Answer({"ERR", "ERR", "z"}, {0, 1}), &fill.keys, &fill.labels, &fill.release);
  EXPECT_TRUE(fill.release.empty());  // no key to release
  EXPECT_EQ(fill.keys.size(), 1u);
  ChunkLabels result = plan->TakeResult();
  EXPECT_EQ(result.labels, (std::vector<std::string>{"ERR", "ERR", "z"}));
  EXPECT_EQ(result.errors.size(), 2u);
}

TEST(ChunkCachePlanTest, FieldsOrTemplateNotInTheHeaderFail) {
  FingerprintInputs in = Inputs();
  EXPECT_FALSE(ChunkCachePlan::Create(Batch({{"1", "a"}}), Rendering({"nope"}),
                                      RequestFingerprinter(in), true)
                   .ok());
  EngineOptions templated = Rendering({});
  templated.body_template = R"({"q":"{{nope}}"})";
  EXPECT_FALSE(
      ChunkCachePlan::Create(Batch({{"1", "a"}}), templated, RequestFingerprinter(in), true).ok());
}

}  // namespace
}  // namespace sieve
