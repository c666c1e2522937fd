#include "worker/endpoint_report.h"

namespace sieve {

proto::JobEndpointCounts TakeEndpointCounts(const std::string& job_id, EndpointPool& pool) {
  proto::JobEndpointCounts report;
  report.job_id = job_id;
  const std::vector<EndpointPool::Tally> tallies = pool.TakeTallies();
  for (size_t e = 0; e < tallies.size(); ++e) {
    const int endpoint = static_cast<int>(e);
    proto::EndpointCounts counts;
    counts.endpoint = pool.name(endpoint);
    counts.answered = tallies[e].answered;
    counts.failed = tallies[e].failed;
    counts.rate_limited = tallies[e].rate_limited;
    counts.refused = tallies[e].refused;
    counts.cooling = pool.in_cooldown(endpoint) ? 1 : 0;
    report.endpoints.push_back(std::move(counts));
  }
  return report;
}

}  // namespace sieve
