// WorkerNode's half of a job's canary (ASSIGN.canary; worker/canary_probe.h decides): the
// verdict goes to the broker as CANARY. A pass is reported as soon as a probe row has a label,
// while the chunk goes on; a failure drops the chunk without a RESULT, so nothing of the job
// is labelled `error` and the broker fails the job with the endpoint's answer.
// The same judgement while running: a chunk refused by the endpoint (401/403,
// EngineOptions::pause_on_refusal) goes back to the broker unlabelled with RELEASE `refusal`,
// and the broker pauses the job (broker/pause_gate.h).
#include <spdlog/spdlog.h>

#include "worker/worker_node.h"

namespace sieve {

void WorkerNode::ReportCanaryPasses(const std::string& job_id, HttpEngine& engine) {
  for (HttpEngine::ChunkId id : engine.TakeCanaryPassed()) {
    for (const auto& [key, held] : held_) {
      if (key.first != job_id || held.labelled || held.engine_id != id) continue;
      spdlog::info("job {} chunk {}: canary passed", key.first, key.second);
      SendToBroker(proto::CanaryReport{key.first, key.second, held.attempt, true, ""});
      break;
    }
  }
}

void WorkerNode::DropFailedCanary(const Key& key, const std::string& reason) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  spdlog::error("job {} chunk {}: canary failed, the endpoint refuses the job's requests: {}",
                key.first, key.second, reason);
  SendToBroker(proto::CanaryReport{key.first, key.second, it->second.attempt, false, reason});
  held_.erase(it);
  GiveCredit();
}

void WorkerNode::HandBackRefused(const Key& key, const std::string& reason) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  spdlog::error("job {} chunk {}: the endpoint refuses the job's requests ({}); handing the "
                "chunk back unlabelled, the job pauses",
                key.first, key.second, reason);
  SendToBroker(proto::Release{key.first, key.second, it->second.attempt,
                              "the endpoint refused the job's requests", "", reason});
  held_.erase(it);
  GiveCredit();
}

}  // namespace sieve
