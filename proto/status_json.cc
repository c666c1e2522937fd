#include "proto/status_json.h"

#include "common/token_price.h"

namespace sieve::proto {

nlohmann::json ToJson(const JobStatus& s) {
  nlohmann::json out = {{"job_id", s.job_id},
          {"name", s.name},
          {"state", EnumName(s.state)},
          {"total_rows", s.total_rows},
          {"done_rows", s.done_rows},
          {"error_rows", s.error_rows},
          {"chunks_total", s.chunks_total},
          {"chunks_queued", s.chunks_queued},
          {"chunks_leased", s.chunks_leased},
          {"chunks_done", s.chunks_done},
          {"chunks_failed", s.chunks_failed},
          {"created_unix_ms", s.created_unix_ms},
          {"finished_unix_ms", s.finished_unix_ms},
          {"output_path", s.output_path},
          {"collector", s.collector},
          {"waiting_for", s.waiting_for},
          {"message", s.message},
          {"tokens", {{"prompt", s.prompt_tokens}, {"completion", s.completion_tokens}}},
          {"cached_rows", s.cached_rows}};
  if (!s.price.empty()) {
    Result<TokenPrice> price = ParseTokenPrice(s.price);
    if (price.ok()) out["cost"] = price->Cost(s.prompt_tokens, s.completion_tokens);
  }
  if (!s.endpoints.empty()) {  // an endpoint pool (docs/architecture.md, "The endpoint pool")
    nlohmann::json endpoints = nlohmann::json::array();
    for (const EndpointCounts& e : s.endpoints) {
      endpoints.push_back({{"endpoint", e.endpoint},
                           {"answered", e.answered},
                           {"failed", e.failed},
                           {"rate_limited", e.rate_limited},
                           {"refused", e.refused},
                           {"cooling_workers", e.cooling}});
    }
    out["endpoints"] = endpoints;
  }
  if (s.max_tokens > 0 || !s.max_cost.empty()) {  // the budget (docs/llm.md, "Budgets")
    nlohmann::json budget = nlohmann::json::object();
    if (s.max_tokens > 0) budget["max_tokens"] = s.max_tokens;
    Result<double> max_cost = s.max_cost.empty() ? Result<double>(Status::NotFound("none"))
                                                 : ParseCostAmount(s.max_cost);
    if (max_cost.ok() && *max_cost > 0) budget["max_cost"] = *max_cost;
    if (!budget.empty()) out["budget"] = budget;
  }
  return out;
}

nlohmann::json ToJson(const WorkerInfo& w) {
  return {{"name", w.name},
          {"address", w.address},
          {"credit", w.credit},
          {"leases", w.leases},
          {"last_heartbeat_age_ms", w.last_heartbeat_age_ms},
          {"rows_done", w.rows_done},
          {"in_flight", w.in_flight}};
}

}  // namespace sieve::proto
