// A chunk's records in and out of the engine, in the job's formats (CSV or JSON Lines,
// docs/jsonl.md): parsing them into a RowBatch, and appending each row's label to build the
// labelled output the collector merges.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_format.h"
#include "common/status.h"
#include "proto/message_parts.h"
#include "worker/row_batch.h"

namespace sieve {

// How a job's chunks are read and written back.
struct ChunkShape {
  RecordFormat input = RecordFormat::kCsv;
  RecordFormat output = RecordFormat::kCsv;
  std::string label_column;
  std::vector<std::string> header;  // the input's columns

  // The shape `spec` names; InvalidArgument for an unknown format name.
  static Result<ChunkShape> Of(const proto::JobSpec& spec);
};

// Fills batch->header from `header_record` and batch->rows (and, for JSON Lines without a
// --body-template, batch->bodies) from the chunk's records. Corrupt when a record is malformed.
[[nodiscard]] Status ParseChunkRows(const proto::JobSpec& spec, const ChunkShape& shape,
                                    const std::string& header_record, const std::string& bytes,
                                    RowBatch* batch);

// Appends the labelled output of the chunk's records (one label each, in order) to *out: CSV
// records with the label column appended, or JSON Lines objects with the label key added.
// Stops at the shorter of records and labels. Corrupt when a record is malformed (the caller
// parsed them already, so only a bug gets there).
[[nodiscard]] Status AppendLabelledRows(const ChunkShape& shape, std::string_view chunk,
                                        std::span<const std::string> labels, std::string* out);

}  // namespace sieve
