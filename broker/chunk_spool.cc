#include "broker/chunk_spool.h"

#include "common/file_util.h"

namespace sieve {

std::string ChunkSpool::ChunkPath(const std::string& job_id, uint64_t chunk_index) const {
  return JobDir(job_id) + "/" + std::to_string(chunk_index) + ".csv";
}

Status ChunkSpool::Put(const std::string& job_id, uint64_t chunk_index, std::string_view bytes) {
  SIEVE_RETURN_IF_ERROR(MakeDirs(JobDir(job_id)));
  return WriteFileAtomic(ChunkPath(job_id, chunk_index), bytes);
}

Result<std::string> ChunkSpool::Get(const std::string& job_id, uint64_t chunk_index) const {
  return ReadFile(ChunkPath(job_id, chunk_index));
}

Status ChunkSpool::Remove(const std::string& job_id, uint64_t chunk_index) {
  return RemoveFile(ChunkPath(job_id, chunk_index));
}

Status ChunkSpool::RemoveJob(const std::string& job_id) { return RemoveTree(JobDir(job_id)); }

}  // namespace sieve
