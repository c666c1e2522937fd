// ChunkSpool: the bytes of every uploaded chunk, one file per chunk, under `<root>/<job id>/`.
//
// Put is durable when it returns OK (see common/file_util.h), so the broker may acknowledge the
// chunk to the client. Job ids are validated by the protocol decoder before they get here and
// are the only names used in paths.
//
// Thread-safety: thread-compatible (no state besides the root path).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

class ChunkSpool {
 public:
  explicit ChunkSpool(std::string root) : root_(std::move(root)) {}

  Status Put(const std::string& job_id, uint64_t chunk_index, std::string_view bytes);
  Result<std::string> Get(const std::string& job_id, uint64_t chunk_index) const;
  Status Remove(const std::string& job_id, uint64_t chunk_index);
  Status RemoveJob(const std::string& job_id);

 private:
  std::string JobDir(const std::string& job_id) const { return root_ + "/" + job_id; }
  std::string ChunkPath(const std::string& job_id, uint64_t chunk_index) const;

  std::string root_;
};

}  // namespace sieve
