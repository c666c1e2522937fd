#include "broker/budget_gate.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace sieve {
namespace {

constexpr double kDefaultCompletionTokens = 16;  // per row, when the template caps nothing

// The template's cap on completion tokens ("max_tokens" or "max_completion_tokens" at the top
// level), or the default.
double CompletionCap(const std::string& body_template) {
  if (body_template.empty()) return kDefaultCompletionTokens;
  nlohmann::json doc = nlohmann::json::parse(body_template, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return kDefaultCompletionTokens;
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_number() && it->get<double>() > 0) return it->get<double>();
  }
  return kDefaultCompletionTokens;
}

double CostOf(const TokenPrice& price, double prompt, double completion) {
  return (prompt * price.prompt_per_million + completion * price.completion_per_million) / 1e6;
}

std::string Amount(double value) {
  char text[48];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

Result<Budget> BudgetOf(const proto::JobSpec& spec) {
  Budget budget;
  budget.max_tokens = spec.max_tokens;
  if (!spec.max_cost.empty()) {
    Result<double> cost = ParseCostAmount(spec.max_cost);
    if (!cost.ok()) return cost.status();
    budget.max_cost = *cost;
  }
  if (budget.max_cost > 0) {
    if (spec.price.empty()) {
      return Status::InvalidArgument("--max-cost needs --price (the price per million tokens "
                                     "the cost is counted in)");
    }
    Result<TokenPrice> price = ParseTokenPrice(spec.price);
    if (!price.ok()) return price.status();
    budget.price = *price;
  }
  return budget;
}

TokenEstimate EstimateChunk(const JobEntry& job, const ChunkRecord& chunk, const JobUsage& usage) {
  const double rows = chunk.row_count;
  const uint64_t known_rows = usage.RowsOf(job.record.job_id);
  if (known_rows > 0) {
    const JobUsage::Tokens tokens = usage.Of(job.record.job_id);
    return {rows * static_cast<double>(tokens.prompt) / static_cast<double>(known_rows),
            rows * static_cast<double>(tokens.completion) / static_cast<double>(known_rows)};
  }
  // The prior: the rendered body is about the template (or the column names) plus the row.
  const double row_bytes = rows > 0 ? static_cast<double>(chunk.bytes) / rows : 0;
  const double body_bytes = static_cast<double>(job.spec.body_template.empty()
                                                    ? job.record.header.size()
                                                    : job.spec.body_template.size()) +
                            row_bytes;
  return {rows * std::ceil(body_bytes / 4), rows * CompletionCap(job.spec.body_template)};
}

bool BudgetGate::Fits(const Budget& budget, const JobUsage::Tokens& committed,
                      const TokenEstimate& in_flight, const TokenEstimate& chunk) {
  const double prompt = static_cast<double>(committed.prompt) + in_flight.prompt + chunk.prompt;
  const double completion =
      static_cast<double>(committed.completion) + in_flight.completion + chunk.completion;
  if (budget.max_tokens > 0 && prompt + completion > static_cast<double>(budget.max_tokens)) {
    return false;
  }
  return budget.max_cost <= 0 || CostOf(budget.price, prompt, completion) <= budget.max_cost;
}

TokenEstimate BudgetGate::InFlight(JobState& state, const std::string& job_id,
                                   const IsLeased& leased) {
  TokenEstimate sum;
  for (auto it = state.in_flight.begin(); it != state.in_flight.end();) {
    if (!leased(ChunkKey{job_id, it->first})) {
      it = state.in_flight.erase(it);
      continue;
    }
    sum.prompt += it->second.prompt;
    sum.completion += it->second.completion;
    ++it;
  }
  return sum;
}

bool BudgetGate::Admit(const JobEntry& job, const ChunkRecord& chunk, const JobUsage& usage,
                       const IsLeased& leased) {
  if (job.spec.max_tokens == 0 && job.spec.max_cost.empty()) return true;
  Result<Budget> budget = BudgetOf(job.spec);
  if (!budget.ok() || !budget->limited()) return true;  // the client checked it; 0 is no limit
  const std::string& id = job.record.job_id;
  JobState& state = jobs_[id];
  const ChunkKey key{id, chunk.chunk_index};
  if (state.blocked || job.record.state == proto::JobState::kBudgetExhausted) {
    state.blocked = true;
    state.parked.push_back(key);
    return false;
  }
  const TokenEstimate in_flight = InFlight(state, id, leased);
  const TokenEstimate estimate = EstimateChunk(job, chunk, usage);
  const bool probing =
      job.chunks_committed == 0 && usage.RowsOf(id) == 0 && !state.in_flight.empty();
  if (probing || !Fits(*budget, usage.Of(id), in_flight, estimate)) {
    // While probing the job waits, it is not blocked: the probe's commit tells the mean.
    state.blocked = !probing;
    state.refused = estimate;
    state.refused_rows = chunk.row_count;
    state.parked.push_back(key);
    return false;
  }
  state.in_flight[chunk.chunk_index] = estimate;
  return true;
}

std::vector<ChunkKey> BudgetGate::Unpark(const JobBook& book, const JobUsage& usage,
                                         const IsLeased& leased) {
  std::vector<ChunkKey> out;
  for (auto& [id, state] : jobs_) {
    if (state.parked.empty()) continue;
    const JobEntry* job = book.Find(id);
    if (job == nullptr || !job->active()) {
      state.parked.clear();
      continue;
    }
    if (job->record.state == proto::JobState::kBudgetExhausted) continue;
    Result<Budget> budget = BudgetOf(job->spec);
    const TokenEstimate in_flight = InFlight(state, id, leased);
    if (job->chunks_committed == 0 && usage.RowsOf(id) == 0 && !state.in_flight.empty()) {
      continue;  // the probe is still out
    }
    if (budget.ok() && budget->limited()) {
      const ChunkRecord& first = job->chunks[state.parked.front().chunk_index];
      if (!Fits(*budget, usage.Of(id), in_flight, EstimateChunk(*job, first, usage))) continue;
    }
    out.insert(out.end(), state.parked.begin(), state.parked.end());
    state.parked.clear();
    state.blocked = false;
  }
  return out;
}

std::vector<std::string> BudgetGate::Exhausted(const IsLeased& leased) {
  std::vector<std::string> out;
  for (auto& [id, state] : jobs_) {
    if (!state.blocked) continue;
    (void)InFlight(state, id, leased);  // drops the chunks whose lease ended
    if (state.in_flight.empty()) out.push_back(id);
  }
  return out;
}

std::vector<ChunkKey> BudgetGate::Release(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return {};
  std::vector<ChunkKey> parked = std::move(it->second.parked);
  it->second.parked.clear();
  it->second.blocked = false;
  return parked;
}

bool BudgetGate::Blocked(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it != jobs_.end() && it->second.blocked;
}

std::string BudgetGate::Describe(const JobEntry& job, const JobUsage& usage) const {
  Result<Budget> budget = BudgetOf(job.spec);
  if (!budget.ok() || !budget->limited()) return "";
  const JobUsage::Tokens used = usage.Of(job.record.job_id);
  std::string text = "budget:";
  if (budget->max_cost > 0) {
    text += " cost " +
            Amount(CostOf(budget->price, static_cast<double>(used.prompt),
                          static_cast<double>(used.completion))) +
            " of " + Amount(budget->max_cost);
  }
  if (budget->max_tokens > 0) {
    text += std::string(budget->max_cost > 0 ? ";" : "") + " tokens " +
            std::to_string(used.prompt + used.completion) + " of " +
            std::to_string(budget->max_tokens);
  }
  auto it = jobs_.find(job.record.job_id);
  const bool exhausted = job.record.state == proto::JobState::kBudgetExhausted;
  if (exhausted || (it != jobs_.end() && it->second.blocked)) {
    text += exhausted ? "; dispatch stopped" : "; dispatch stopping (chunks in flight finish)";
    if (it != jobs_.end() && it->second.refused_rows > 0) {
      const TokenEstimate& next = it->second.refused;
      text += ": the next chunk (" + std::to_string(it->second.refused_rows) +
              " rows) is estimated at " + std::to_string(std::llround(next.total())) + " tokens";
      if (budget->max_cost > 0) {
        text += " (" + Amount(CostOf(budget->price, next.prompt, next.completion)) + ")";
      }
    }
    if (exhausted) {
      text += ". Rows not sent are kept, not labelled: `sieve resume " + job.record.job_id +
              (budget->max_cost > 0 ? " --max-cost MORE" : " --max-tokens MORE") +
              "` carries on";
    }
  }
  return text;
}

}  // namespace sieve
