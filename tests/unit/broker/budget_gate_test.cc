// BudgetGate: the --max-cost / --max-tokens rule (committed + in flight + this chunk <= budget),
// the probe before the first commit, parking in order, unparking when a commit leaves room,
// exhaustion with nothing in flight, and release on RESUME. Leases are a set the test holds.
#include "broker/budget_gate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "proto/job_id.h"

namespace sieve {
namespace {

class BudgetGateTest : public ::testing::Test {
 protected:
  // A sealed job of `chunks` chunks of 10 rows (100 bytes each).
  JobEntry Job(size_t chunks, uint64_t max_tokens, std::string max_cost = "",
               std::string price = "") {
    JobEntry job;
    job.record.job_id = proto::FormatJobId(7);
    job.record.state = JobState::kSealed;
    job.record.header = "website,content\n";
    job.spec.endpoint = "http://model/v1/chat/completions";
    job.spec.max_tokens = max_tokens;
    job.spec.max_cost = std::move(max_cost);
    job.spec.price = std::move(price);
    for (size_t i = 0; i < chunks; ++i) {
      ChunkRecord c;
      c.job_id = job.record.job_id;
      c.chunk_index = i;
      c.first_row = i * 10;
      c.row_count = 10;
      c.bytes = 100;
      job.chunks.push_back(c);
    }
    return job;
  }
  ChunkKey Key(const JobEntry& job, uint64_t i) { return {job.record.job_id, i}; }
  // Admits chunk i and, when admitted, leases it.
  bool Admit(JobEntry& job, uint64_t i) {
    bool ok = gate_.Admit(job, job.chunks[i], usage_, leased_);
    if (ok) leases_.insert(Key(job, i));
    return ok;
  }
  // The lease of chunk i ends with its commit, which used `prompt` + `completion` tokens.
  void Commit(JobEntry& job, uint64_t i, uint64_t prompt, uint64_t completion) {
    leases_.erase(Key(job, i));
    usage_.Record(job.record.job_id, i, {prompt, completion}, job.chunks[i].row_count);
    job.chunks[i].state = ChunkState::kCommitted;
    ++job.chunks_committed;
  }

  BudgetGate gate_;
  JobUsage usage_;
  std::set<ChunkKey> leases_;
  BudgetGate::IsLeased leased_ = [this](const ChunkKey& k) { return leases_.contains(k); };
};

TEST_F(BudgetGateTest, AJobWithoutABudgetIsAlwaysAdmitted) {
  JobEntry job = Job(5, 0);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_TRUE(Admit(job, i));
  EXPECT_FALSE(gate_.Blocked(job.record.job_id));
  EXPECT_TRUE(gate_.Exhausted(leased_).empty());
  EXPECT_EQ(gate_.Describe(job, usage_), "");
}

TEST_F(BudgetGateTest, OneProbeChunkUntilTheFirstCommitThenTheMeanDecides) {
  JobEntry job = Job(6, 3500);
  EXPECT_TRUE(Admit(job, 0));   // the probe
  EXPECT_FALSE(Admit(job, 1));  // waits for the probe: parked, not blocked
  EXPECT_FALSE(gate_.Blocked(job.record.job_id));
  EXPECT_TRUE(gate_.Exhausted(leased_).empty());
  // The probe used 100 tokens per row (90 prompt + 10 completion): 1000 per chunk.
  Commit(job, 0, 900, 100);
  EXPECT_DOUBLE_EQ(EstimateChunk(job, job.chunks[1], usage_).total(), 1000);
  EXPECT_TRUE(Admit(job, 1));   // 1000 + 1000 <= 3500
  EXPECT_TRUE(Admit(job, 2));   // 1000 + 2000 <= 3500
  EXPECT_FALSE(Admit(job, 3));  // 1000 + 2000 + 1000 > 3500: blocked
  EXPECT_TRUE(gate_.Blocked(job.record.job_id));
  EXPECT_FALSE(Admit(job, 4));  // blocked: parked without a look
  EXPECT_TRUE(gate_.Exhausted(leased_).empty()) << "chunks 1 and 2 are in flight";
}

TEST_F(BudgetGateTest, ACommitBelowItsEstimateUnparksInOrder) {
  // A real JobBook (Unpark looks jobs up in it): 5 chunks of 10 rows, 3500 tokens.
  const std::string dir = ::testing::TempDir() + "/budget_gate_unpark";
  std::filesystem::remove_all(dir);
  Result<std::unique_ptr<JobBook>> book = JobBook::Open(dir, SystemClock::Get());
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  proto::Submit submit;
  submit.spec.endpoint = "http://model/v1/chat/completions";
  submit.spec.max_tokens = 3500;
  submit.header_record = "website,content\n";
  Result<std::string> id = (*book)->Create(submit, "local");
  ASSERT_TRUE(id.ok());
  for (uint64_t i = 0; i < 5; ++i) {
    proto::Chunk chunk;
    chunk.job_id = *id;
    chunk.chunk_index = i;
    chunk.first_row = i * 10;
    chunk.row_count = 10;
    chunk.chunk = std::string(100, 'x');
    ASSERT_TRUE((*book)->AddChunk(chunk).ok());
  }
  proto::Seal seal;
  seal.job_id = *id;
  seal.total_chunks = 5;
  seal.total_rows = 50;
  ASSERT_TRUE((*book)->Seal(seal).ok());
  JobEntry& job = *(*book)->Find(*id);
  auto commit = [&](uint64_t i, uint64_t prompt, uint64_t completion) {
    leases_.erase(Key(job, i));
    usage_.Record(*id, i, {prompt, completion}, 10);
    ASSERT_TRUE((*book)->Commit(*id, i, 0, false, prompt, completion).ok());
  };
  ASSERT_TRUE(Admit(job, 0));
  EXPECT_FALSE(Admit(job, 1));  // behind the probe
  EXPECT_TRUE(gate_.Unpark(**book, usage_, leased_).empty()) << "the probe is still out";
  commit(0, 900, 100);          // 100 tokens per row
  EXPECT_EQ(gate_.Unpark(**book, usage_, leased_), std::vector<ChunkKey>{Key(job, 1)});
  ASSERT_TRUE(Admit(job, 1));
  ASSERT_TRUE(Admit(job, 2));
  ASSERT_FALSE(Admit(job, 3));  // 1000 + 2000 + 1000 > 3500
  ASSERT_FALSE(Admit(job, 4));
  EXPECT_TRUE(gate_.Unpark(**book, usage_, leased_).empty()) << "no room yet";
  // Chunk 1 commits for far less than estimated: committed 1200 over 20 rows (60 per row), in
  // flight chunk 2 at its admitted 1000, next 600: 1200 + 1000 + 600 <= 3500.
  commit(1, 150, 50);
  EXPECT_EQ(gate_.Unpark(**book, usage_, leased_),
            (std::vector<ChunkKey>{Key(job, 3), Key(job, 4)}));
  EXPECT_FALSE(gate_.Blocked(*id));
  EXPECT_TRUE(Admit(job, 3));
  EXPECT_TRUE(Admit(job, 4));  // 1200 + (1000 + 600) + 600 = 3400 <= 3500
}

TEST_F(BudgetGateTest, BlockedWithNothingInFlightIsExhaustedAndReleaseGivesTheChunksBack) {
  JobEntry job = Job(5, 1500);
  ASSERT_TRUE(Admit(job, 0));
  Commit(job, 0, 900, 100);     // 1000 committed
  EXPECT_FALSE(Admit(job, 1));  // 1000 + 1000 > 1500
  EXPECT_FALSE(Admit(job, 2));
  EXPECT_EQ(gate_.Exhausted(leased_), std::vector<std::string>{job.record.job_id});
  job.record.state = JobState::kBudgetExhausted;
  std::string text = gate_.Describe(job, usage_);
  EXPECT_NE(text.find("tokens 1000 of 1500"), std::string::npos) << text;
  EXPECT_NE(text.find("next chunk (10 rows) is estimated at 1000 tokens"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sieve resume " + job.record.job_id + " --max-tokens MORE"),
            std::string::npos)
      << text;
  EXPECT_FALSE(Admit(job, 3)) << "an exhausted job is never admitted";
  // RESUME: a larger budget, the state back to sealed, the parked chunks in their order.
  std::vector<ChunkKey> back = gate_.Release(job.record.job_id);
  EXPECT_EQ(back, (std::vector<ChunkKey>{Key(job, 1), Key(job, 2), Key(job, 3)}));
  job.record.state = JobState::kSealed;
  job.spec.max_tokens = 10000;
  EXPECT_FALSE(gate_.Blocked(job.record.job_id));
  for (uint64_t i = 1; i < 5; ++i) EXPECT_TRUE(Admit(job, i)) << i;
}

TEST_F(BudgetGateTest, CostBudgetCountsThroughThePrice) {
  // 10 per million prompt, 30 per million completion: the probe's 900 + 100 tokens cost 0.012.
  JobEntry job = Job(4, 0, "0.03", "10,30");
  ASSERT_TRUE(Admit(job, 0));
  Commit(job, 0, 900, 100);
  EXPECT_TRUE(Admit(job, 1));   // 0.012 + 0.012 <= 0.03
  EXPECT_FALSE(Admit(job, 2));  // 0.036 > 0.03
  leases_.clear();              // chunk 1 handed back (not committed): nothing in flight
  EXPECT_EQ(gate_.Exhausted(leased_).size(), 1u);
  job.record.state = JobState::kBudgetExhausted;
  EXPECT_NE(gate_.Describe(job, usage_).find("cost 0.012 of 0.03"), std::string::npos)
      << gate_.Describe(job, usage_);
}

TEST_F(BudgetGateTest, ThePriorUsesTheTemplateAndItsMaxTokens) {
  JobEntry job = Job(1, 100000);
  job.spec.body_template = std::string(R"({"max_tokens": 7, "messages": "{{content}}"})");
  TokenEstimate e = EstimateChunk(job, job.chunks[0], usage_);
  // 10 rows of (template bytes + 10 row bytes) / 4, rounded up; 7 completion tokens each.
  const double per_row = std::ceil((job.spec.body_template.size() + 10.0) / 4);
  EXPECT_DOUBLE_EQ(e.prompt, 10 * per_row);
  EXPECT_DOUBLE_EQ(e.completion, 70);
  job.spec.body_template.clear();  // no template: the column names stand in for it, 16 each
  e = EstimateChunk(job, job.chunks[0], usage_);
  EXPECT_DOUBLE_EQ(e.prompt, 10 * std::ceil((job.record.header.size() + 10.0) / 4));
  EXPECT_DOUBLE_EQ(e.completion, 160);
}

TEST(BudgetOfTest, ChecksTheAmountAndThePrice) {
  proto::JobSpec spec;
  spec.max_cost = "2.5";
  EXPECT_FALSE(BudgetOf(spec).ok()) << "a cost budget needs a price";
  spec.price = "1,2";
  Result<Budget> budget = BudgetOf(spec);
  ASSERT_TRUE(budget.ok());
  EXPECT_DOUBLE_EQ(budget->max_cost, 2.5);
  EXPECT_TRUE(budget->limited());
  spec.max_cost = "-1";
  EXPECT_FALSE(BudgetOf(spec).ok());
  spec.max_cost = "0";  // 0: no limit
  budget = BudgetOf(spec);
  ASSERT_TRUE(budget.ok());
  EXPECT_FALSE(budget->limited());
}

TEST(JobUsageTest, ARepeatedCommitSetsAndRowsCountOnlyChunksWithUsage) {
  JobUsage usage;
  const std::string job = proto::FormatJobId(1);
  usage.Record(job, 0, {100, 10}, 10);
  usage.Record(job, 0, {100, 10}, 10);  // the collector re-announcing: not counted twice
  usage.Record(job, 1, {0, 0}, 10);     // no usage reported: its rows say nothing
  EXPECT_EQ(usage.Of(job).prompt, 100u);
  EXPECT_EQ(usage.RowsOf(job), 10u);
}

TEST(JobUsageTest, CachedRowsAreSetPerChunkAndKeptForAChunkWithoutTokens) {
  JobUsage usage;
  const std::string job = proto::FormatJobId(2);
  usage.Record(job, 0, {0, 0, 10}, 0);  // a chunk answered wholly from the result cache
  usage.Record(job, 0, {0, 0, 10}, 0);  // re-announced: set, not added
  usage.Record(job, 1, {50, 5, 4}, 6);  // 6 rows sent, 4 from the cache
  EXPECT_EQ(usage.Of(job).cached_rows, 14u);
  EXPECT_EQ(usage.Of(job).prompt, 50u);
  EXPECT_EQ(usage.RowsOf(job), 6u);  // the budget's mean is over the rows that were sent
}

}  // namespace
}  // namespace sieve
