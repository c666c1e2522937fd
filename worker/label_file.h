// LabelFile: runs the HTTP engine over CSV files without a broker (`sieve-label-file`): for
// tests, benchmarks, and small jobs on one machine.
//
// Reads the inputs as one logical CSV (common/csv_chunker.h), keeps up to chunks_in_flight
// chunks in the engine at once, and writes every input row, unchanged and in order, with the
// label column appended. Rows that failed get the error label, and their reasons go to the
// errors file when one is asked for. The output is written to "<output>.tmp" and renamed into
// place when complete.
//
// Thread-safety: runs on the calling thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/engine_options.h"
#include "worker/row_batch.h"

namespace sieve {

struct LabelFileOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string errors_output;  // CSV "row,reason" of failed rows; empty = none
  std::string label_column = "label";
  uint32_t chunk_rows = 1000;
  int chunks_in_flight = 4;
  std::string job_id = "once";
};

struct LabelFileSummary {
  uint64_t rows = 0;
  EngineCounters counters;
  double seconds = 0;
};

// Fails with the CSV engine's errors (file:line: reason), InvalidArgument from the engine's
// options or --fields, or IoError writing the output; a partial "<output>.tmp" is removed.
// Rows that fail are not a failure of the call: they are in the output and the summary.
Result<LabelFileSummary> LabelFile(const LabelFileOptions& options,
                                   const EngineOptions& engine_options);

}  // namespace sieve
