#include "broker/console_board.h"

#include <algorithm>
#include <set>

#include "common/redact.h"
#include "proto/status_json.h"

namespace sieve {
nlohmann::json ConsoleSpec(const proto::JobSpec& spec) {
  nlohmann::json headers = nlohmann::json::array();
  std::set<std::string> names;
  for (const std::string& header : spec.headers) {
    const size_t colon = header.find(':');
    names.insert(header.substr(0, colon));
  }
  for (const std::string& name : spec.withheld_headers) names.insert(name);
  for (const std::string& name : names) headers.push_back(name);
  return {{"name", spec.name},
          {"endpoint", RedactUrl(spec.endpoint)},
          {"fields", spec.fields},
          {"body_template", spec.body_template},
          {"labels", spec.labels},
          {"label_field", spec.label_field},
          {"label_column", spec.label_column},
          {"error_label", spec.error_label},
          {"header_names", headers},
          {"timeout_ms", spec.timeout_ms},
          {"retries", spec.retries},
          {"batch_size", spec.batch_size},
          {"concurrency", spec.concurrency},
          {"max_attempts", spec.max_attempts},
          {"price", spec.price}};
}

ConsoleBoard::ConsoleBoard(std::vector<std::string> actions) : actions_(std::move(actions)) {}

void ConsoleBoard::SetActions(std::vector<std::string> actions) {
  std::lock_guard<std::mutex> lock(mutex_);
  actions_ = std::move(actions);
}

void ConsoleBoard::Publish(ConsoleSnapshot snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_unix_ms_ = snapshot.now_unix_ms;
  const int64_t now = snapshot.now_unix_ms;
  std::sort(snapshot.jobs.begin(), snapshot.jobs.end(), [](const auto& a, const auto& b) {
    return a.status.created_unix_ms != b.status.created_unix_ms
               ? a.status.created_unix_ms > b.status.created_unix_ms
               : a.status.job_id < b.status.job_id;
  });
  // Updated in place (no map rebuilt per publish): jobs the snapshot no longer lists are swept.
  ++generation_;
  job_order_.clear();
  for (ConsoleJob& job : snapshot.jobs) {
    const std::string& id = job.status.job_id;
    job_order_.push_back(id);
    JobState& state = jobs_[id];
    state.generation = generation_;
    if (job.chunks_fresh) state.job.chunks = std::move(job.chunks);
    if (!job.spec.is_null()) state.job.spec = std::move(job.spec);
    state.job.status = std::move(job.status);
    const proto::JobStatus& status = state.job.status;
    if (state.history.empty() || now - state.history.back().t_ms >= kSampleMs) {
      state.history.push_back({now, status.done_rows, status.error_rows});
      if (state.history.size() > kHistorySamples) state.history.pop_front();
    }
  }
  std::erase_if(jobs_, [&](const auto& entry) { return entry.second.generation != generation_; });
  std::erase_if(failed_rows_, [&](const auto& entry) { return !jobs_.contains(entry.first); });

  std::map<std::string, WorkerState> workers;
  for (ConsoleWorker& worker : snapshot.workers) {
    WorkerState& state = workers[worker.address];
    if (auto it = workers_.find(worker.address); it != workers_.end()) {
      state.samples = std::move(it->second.samples);
    }
    if (state.samples.empty() || now - state.samples.back().first >= kSampleMs) {
      state.samples.emplace_back(now, worker.rows_done);
    }
    while (state.samples.size() > 2 && now - state.samples[1].first >= kRateWindowMs) {
      state.samples.pop_front();
    }
    state.worker = std::move(worker);
  }
  workers_ = std::move(workers);
  limits_ = std::move(snapshot.limits);
}

void ConsoleBoard::NoteFailedRows(const std::string& job_id,
                                  const std::vector<proto::RowError>& rows) {
  if (rows.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<proto::RowError>& kept = failed_rows_[job_id];
  for (const proto::RowError& row : rows) {
    if (kept.size() >= kFailedRowsKept) break;
    kept.push_back(row);
  }
}

nlohmann::json ConsoleBoard::JobJson(const JobState& state) const {
  const proto::JobStatus& status = state.job.status;
  nlohmann::json out = proto::ToJson(status);
  double rate = 0;
  const uint64_t rows = status.done_rows;
  for (const Sample& sample : state.history) {
    if (now_unix_ms_ - sample.t_ms <= kRateWindowMs && now_unix_ms_ > sample.t_ms) {
      rate = rows < sample.done ? 0
                                : static_cast<double>(rows - sample.done) * 1000.0 /
                                      static_cast<double>(now_unix_ms_ - sample.t_ms);
      break;
    }
  }
  const bool active = status.state == proto::JobState::kOpen ||
                      status.state == proto::JobState::kSealed;
  out["rows_per_s"] = active ? rate : 0.0;
  out["eta_s"] = nullptr;
  if (active && rate > 0 && status.total_rows >= status.done_rows && status.total_rows > 0) {
    out["eta_s"] = static_cast<double>(status.total_rows - status.done_rows) / rate;
  }
  return out;
}

HttpAnswer ConsoleBoard::Overview() const {
  nlohmann::json jobs = nlohmann::json::array();
  nlohmann::json workers = nlohmann::json::array();
  nlohmann::json limits = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& id : job_order_) jobs.push_back(JobJson(jobs_.at(id)));
  for (const auto& [address, state] : workers_) {
    const ConsoleWorker& w = state.worker;
    double rate = 0;
    if (!state.samples.empty() && now_unix_ms_ > state.samples.front().first &&
        w.rows_done >= state.samples.front().second) {
      rate = static_cast<double>(w.rows_done - state.samples.front().second) * 1000.0 /
             static_cast<double>(now_unix_ms_ - state.samples.front().first);
    }
    workers.push_back({{"name", w.name},
                       {"address", w.address},
                       {"version", w.version},
                       {"concurrency", w.concurrency},
                       {"credit", w.credit},
                       {"leases", w.leases},
                       {"in_flight", w.in_flight},
                       {"last_heartbeat_age_ms", w.last_heartbeat_age_ms},
                       {"rows_done", w.rows_done},
                       {"rows_per_s", rate}});
  }
  for (const ConsoleLimit& l : limits_) {
    limits.push_back({{"key", l.key}, {"limit", l.limit}, {"rate", l.rate}, {"pauses", l.pauses}});
  }
  nlohmann::json out = {{"now_unix_ms", now_unix_ms_},
                        {"actions", actions_},
                        {"jobs", jobs},
                        {"workers", workers},
                        {"limits", limits}};
  return {200, out.dump() + "\n"};
}

HttpAnswer ConsoleBoard::Job(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    nlohmann::json error = {{"error", "no job " + job_id + " in the broker's memory"}};
    return {404, error.dump() + "\n"};
  }
  const JobState& state = it->second;
  nlohmann::json out = JobJson(state);
  nlohmann::json history = nlohmann::json::array();
  for (const Sample& s : state.history) history.push_back({s.t_ms, s.done, s.errors});
  nlohmann::json failed = nlohmann::json::array();
  if (auto f = failed_rows_.find(job_id); f != failed_rows_.end()) {
    std::vector<proto::RowError> rows = f->second;  // reported in commit order: show by row
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.row < b.row; });
    for (const proto::RowError& row : rows) {
      failed.push_back({{"row", row.row}, {"reason", row.reason}});
    }
  }
  out["now_unix_ms"] = now_unix_ms_;
  out["actions"] = actions_;
  out["spec"] = state.job.spec;
  out["history"] = std::move(history);
  out["failed_rows"] = std::move(failed);
  out["chunks"] = state.job.chunks;
  return {200, out.dump() + "\n"};
}

std::vector<HttpRoute> ConsoleBoard::Routes() const {
  return {
      {"/api/v1/console", [this](const std::vector<std::string>&) { return Overview(); }},
      {R"(/api/v1/console/jobs/(j[0-9a-f]{16}))",
       [this](const std::vector<std::string>& captures) { return Job(captures.at(0)); }},
  };
}

}  // namespace sieve
