#include "broker/status_board.h"

#include "proto/status_json.h"

namespace sieve {

void StatusBoard::Publish(std::vector<proto::JobStatus> jobs,
                          std::vector<proto::WorkerInfo> workers) {
  std::lock_guard<std::mutex> lock(mutex_);
  jobs_ = std::move(jobs);
  workers_ = std::move(workers);
}

HttpAnswer StatusBoard::Jobs() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const proto::JobStatus& job : jobs_) out.push_back(proto::ToJson(job));
  return {200, out.dump(2) + "\n"};
}

HttpAnswer StatusBoard::Job(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const proto::JobStatus& job : jobs_) {
    if (job.job_id == job_id) return {200, proto::ToJson(job).dump(2) + "\n"};
  }
  nlohmann::json error = {{"error", "no job " + job_id}};
  return {404, error.dump() + "\n"};
}

HttpAnswer StatusBoard::Workers() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const proto::WorkerInfo& worker : workers_) out.push_back(proto::ToJson(worker));
  return {200, out.dump(2) + "\n"};
}

std::vector<HttpRoute> StatusBoard::Routes() const {
  return {
      {"/api/v1/jobs", [this](const std::vector<std::string>&) { return Jobs(); }},
      {R"(/api/v1/jobs/(j[0-9a-f]{16}))",
       [this](const std::vector<std::string>& captures) { return Job(captures.at(0)); }},
      {"/api/v1/workers", [this](const std::vector<std::string>&) { return Workers(); }},
  };
}

}  // namespace sieve
