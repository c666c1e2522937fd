// StatusBoard: the broker's status API. The broker loop publishes a snapshot of its jobs and
// workers (every ~250 ms); HTTP handlers on the metrics server's threads render it as JSON:
//   GET /api/v1/jobs            array of job statuses (as `sieve jobs --json`)
//   GET /api/v1/jobs/<job id>   one job (as `sieve status <job> --json`), 404 when unknown
//   GET /api/v1/workers         array of workers (as `sieve workers --json`)
// The handlers never touch the broker's own state: only this snapshot, under a mutex.
//
// Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics_server.h"
#include "proto/message_parts.h"

namespace sieve {

class StatusBoard {
 public:
  void Publish(std::vector<proto::JobStatus> jobs, std::vector<proto::WorkerInfo> workers);

  HttpAnswer Jobs() const;
  HttpAnswer Job(const std::string& job_id) const;
  HttpAnswer Workers() const;
  // The routes above, bound to this board (which must outlive the server serving them).
  std::vector<HttpRoute> Routes() const;

 private:
  mutable std::mutex mutex_;
  std::vector<proto::JobStatus> jobs_;        // GUARDED_BY(mutex_)
  std::vector<proto::WorkerInfo> workers_;    // GUARDED_BY(mutex_)
};

}  // namespace sieve
