#include "broker/endpoint_tally.h"

#include <algorithm>

namespace sieve {

void EndpointTally::Add(const std::string& worker,
                        const std::vector<proto::JobEndpointCounts>& reports) {
  WorkerGone(worker);  // this heartbeat says afresh what the worker rests
  for (const proto::JobEndpointCounts& report : reports) {
    std::vector<Entry>& entries = jobs_[report.job_id];
    for (const proto::EndpointCounts& counts : report.endpoints) {
      auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
        return e.sums.endpoint == counts.endpoint;
      });
      if (it == entries.end()) {
        it = entries.insert(entries.end(), Entry{});
        it->sums.endpoint = counts.endpoint;
      }
      it->sums.answered += counts.answered;
      it->sums.failed += counts.failed;
      it->sums.rate_limited += counts.rate_limited;
      it->sums.refused += counts.refused;
      if (counts.cooling != 0) it->cooling_workers.insert(worker);
    }
  }
}

void EndpointTally::WorkerGone(const std::string& worker) {
  for (auto& [job, entries] : jobs_) {
    for (Entry& e : entries) e.cooling_workers.erase(worker);
  }
}

void EndpointTally::ForgetJob(const std::string& job_id) { jobs_.erase(job_id); }

std::vector<proto::EndpointCounts> EndpointTally::Of(const std::string& job_id) const {
  std::vector<proto::EndpointCounts> out;
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return out;
  for (const Entry& e : it->second) {
    out.push_back(e.sums);
    out.back().cooling = static_cast<uint32_t>(e.cooling_workers.size());
  }
  return out;
}

}  // namespace sieve
