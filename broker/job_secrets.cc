#include "broker/job_secrets.h"

#include <algorithm>

#include "common/header_secrets.h"

namespace sieve {
namespace {

void Scrub(std::vector<std::string>& headers) {
  for (std::string& h : headers) std::fill(h.begin(), h.end(), '\0');
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::vector<std::string> TakeCredentialHeaders(proto::JobSpec& spec) {
  std::vector<std::string> taken;
  std::vector<std::string> kept;
  for (std::string& header : spec.headers) {
    if (IsLiteralCredential(header, spec.secret_headers)) {
      spec.withheld_headers.emplace_back(HeaderNameOf(header));
      taken.push_back(std::move(header));
    } else {
      kept.push_back(std::move(header));
    }
  }
  spec.headers = std::move(kept);
  return taken;
}

void JobSecrets::Put(const std::string& job_id, std::vector<std::string> headers) {
  auto it = headers_.find(job_id);
  if (it != headers_.end()) Scrub(it->second);
  headers_[job_id] = std::move(headers);
}

void JobSecrets::Drop(const std::string& job_id) {
  auto it = headers_.find(job_id);
  if (it != headers_.end()) {
    Scrub(it->second);
    headers_.erase(it);
  }
  parked_.erase(job_id);
  notes_.erase(job_id);
  holds_.erase(job_id);
  waiting_.erase(job_id);
}

bool JobSecrets::Waiting(const JobEntry& job) const {
  return job.active() && !job.spec.withheld_headers.empty() &&
         !headers_.contains(job.record.job_id);
}

proto::JobSpec JobSecrets::SpecForWorker(const JobEntry& job) const {
  proto::JobSpec spec = job.spec;
  auto it = headers_.find(job.record.job_id);
  if (it != headers_.end()) {
    spec.headers.insert(spec.headers.end(), it->second.begin(), it->second.end());
  }
  spec.withheld_headers.clear();
  return spec;
}

bool JobSecrets::Park(const JobEntry& job, const ChunkKey& chunk, int64_t now_ms) {
  const std::string& id = job.record.job_id;
  auto hold = holds_.find(id);
  const bool waiting = Waiting(job);
  if (!waiting && (hold == holds_.end() || now_ms >= hold->second.until_ms)) return false;
  waiting_[id] = waiting;
  parked_[id].push_back(chunk);
  return true;
}

std::vector<ChunkKey> JobSecrets::Unpark(int64_t now_ms) {
  std::vector<ChunkKey> out;
  for (auto it = parked_.begin(); it != parked_.end();) {
    auto hold = holds_.find(it->first);
    const bool held = hold != holds_.end() && now_ms < hold->second.until_ms;
    if (waiting_[it->first] || held) {
      ++it;
      continue;
    }
    out.insert(out.end(), it->second.begin(), it->second.end());
    waiting_.erase(it->first);
    it = parked_.erase(it);
  }
  return out;
}

Result<std::vector<ChunkKey>> JobSecrets::Resupply(const JobEntry& job,
                                                   const std::vector<std::string>& given) {
  std::vector<std::string> kept;
  std::vector<std::string> missing;
  for (const std::string& name : job.spec.withheld_headers) {
    auto it = std::find_if(given.begin(), given.end(), [&](const std::string& h) {
      return IsCredentialHeaderName(HeaderNameOf(h), {name}) &&
             IsLiteralCredential(h, job.spec.secret_headers);
    });
    if (it == given.end()) {
      missing.push_back(name);
    } else {
      kept.push_back(*it);
    }
  }
  if (!missing.empty()) {
    Scrub(kept);
    return Status::InvalidArgument("job " + job.record.job_id + " needs its credential header" +
                                   (missing.size() > 1 ? "s " : " ") + JoinNames(missing) +
                                   " again: give " + (missing.size() > 1 ? "them" : "it") +
                                   " with --header");
  }
  Put(job.record.job_id, std::move(kept));
  std::vector<ChunkKey> parked = std::move(parked_[job.record.job_id]);
  parked_.erase(job.record.job_id);
  waiting_.erase(job.record.job_id);
  return parked;
}

void JobSecrets::NoteMissingWorkerSecret(const std::string& job_id, const std::string& worker,
                                         const std::string& name, int64_t now_ms) {
  constexpr int64_t kFirstPauseMs = 5000;
  constexpr int64_t kMaxPauseMs = 60000;
  Hold& hold = holds_[job_id];
  hold.pause_ms = std::clamp<int64_t>(2 * hold.pause_ms, kFirstPauseMs, kMaxPauseMs);
  hold.until_ms = now_ms + hold.pause_ms;
  notes_[job_id] = "worker " + worker + " has no secret '" + name +
                   "' (${secret:" + name + "}): it handed a chunk back; give it the secret "
                   "(--secrets-file or SIEVE_SECRET_<NAME>)";
}

void JobSecrets::Describe(const JobEntry& job, proto::JobStatus& status) const {
  if (Waiting(job)) {
    status.waiting_for = "secret";
    status.message = "the broker restarted and keeps credential headers (" +
                     JoinNames(job.spec.withheld_headers) +
                     ") in memory only: run `sieve resume " + job.record.job_id +
                     "` with the same --header";
    return;
  }
  if (!job.active()) return;
  auto it = notes_.find(job.record.job_id);
  if (it != notes_.end()) status.message = it->second;
}

}  // namespace sieve
