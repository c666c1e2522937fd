#include "broker/failed_chunk.h"

#include "common/csv_record.h"
#include "common/csv_writer.h"

namespace sieve {

Result<proto::ChunkResult> BuildFailedResult(const ChunkRecord& chunk, const std::string& bytes,
                                             const std::string& error_label,
                                             const std::string& reason) {
  proto::ChunkResult result;
  result.job_id = chunk.job_id;
  result.chunk_index = chunk.chunk_index;
  result.attempt = chunk.attempts;
  result.first_row = chunk.first_row;
  result.row_count = chunk.row_count;
  result.labelled.reserve(bytes.size() + chunk.row_count * (error_label.size() + 2));
  RecordIterator records(bytes);
  std::string_view record;
  std::string_view label = error_label;
  uint64_t row = chunk.first_row;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    AppendColumns(record, std::span<const std::string_view>(&label, 1), &result.labelled);
    if (result.errors.size() < proto::kMaxArrayElements) result.errors.push_back({row, reason});
    ++row;
  }
  if (row - chunk.first_row != chunk.row_count) {
    return Status::Corrupt("chunk " + std::to_string(chunk.chunk_index) + " of job " +
                           chunk.job_id + " holds " + std::to_string(row - chunk.first_row) +
                           " records, expected " + std::to_string(chunk.row_count));
  }
  result.error_count = chunk.row_count;
  return result;
}

}  // namespace sieve
