// csv_dump: chunks and parses CSV files with the Sieve CSV engine and prints every record as
// a JSON line, for the Python cross-check (csv_crosscheck.py).
//
//   csv_dump [--block BYTES] [--rows N] [--labeled OUT.csv] FILE...
//
// Output: {"header":[...]} then one {"chunk":I,"row":R,"line":L,"fields":[...]} per record.
// With --labeled, also writes OUT.csv: the header plus a "label" column, and every record
// with a label appended by AppendColumns (label i is kLabels[i % size], see the script).
// Exit status: 0 on success, 1 with the error on stderr.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"

namespace sieve {
namespace {

// Keep in sync with LABELS in csv_crosscheck.py.
const std::vector<std::string> kLabels = {"spam", "a,b", "q\"uote", " lead", "line\nbreak",
                                          "", "\xC3\xBCn\xC3\xAF\xE2\x98\x83", "cr\r", "\"\""};

struct Options {
  CsvLimits limits;
  uint32_t rows = 1000;
  std::string labeled;
  std::vector<std::string> files;
};

nlohmann::json ToJson(const RecordFields& fields) {
  nlohmann::json array = nlohmann::json::array();
  for (std::string_view f : fields) array.push_back(std::string(f));
  return array;
}

Status DumpChunk(const CsvChunk& chunk, uint64_t* row, std::ofstream* labeled) {
  RecordIterator records(chunk.bytes);
  RecordFields fields;
  std::string_view record;
  std::string out;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
    nlohmann::json line = {{"chunk", chunk.index},
                           {"row", *row},
                           {"line", chunk.first_line + records.record_line_offset()},
                           {"fields", ToJson(fields)}};
    std::cout << line.dump() << '\n';
    if (labeled != nullptr) {
      const std::string_view label = kLabels[*row % kLabels.size()];
      out.clear();
      AppendColumns(record, std::span(&label, 1), &out);
      *labeled << out;
    }
    ++*row;
  }
  return Status::Ok();
}

Status Run(const Options& options) {
  Result<std::unique_ptr<CsvChunker>> chunker =
      CsvChunker::Open(options.files, options.limits, options.rows);
  if (!chunker.ok()) return chunker.status();
  std::cout << nlohmann::json{{"header", (*chunker)->header().columns}}.dump() << '\n';
  std::ofstream labeled;
  if (!options.labeled.empty()) {
    labeled.open(options.labeled, std::ios::binary);
    std::string header;
    AppendHeaderColumn((*chunker)->header(), "label", &header);
    labeled << header;
  }
  uint64_t row = 0;
  while (true) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok()) return chunk.status();
    if (!chunk->has_value()) break;
    if ((*chunk)->first_row != row) return Status::Internal("chunk first_row out of sequence");
    SIEVE_RETURN_IF_ERROR(DumpChunk(**chunk, &row, labeled.is_open() ? &labeled : nullptr));
  }
  if (labeled.is_open() && !labeled.flush()) return Status::IoError("cannot write labeled output");
  return Status::Ok();
}

}  // namespace
}  // namespace sieve

int main(int argc, char** argv) {
  sieve::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--block" || arg == "--rows" || arg == "--labeled") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--block") options.limits.block_bytes = std::stoul(value);
      if (arg == "--rows") options.rows = static_cast<uint32_t>(std::stoul(value));
      if (arg == "--labeled") options.labeled = value;
    } else {
      options.files.push_back(arg);
    }
  }
  sieve::Status status = sieve::Run(options);
  if (!status.ok()) {
    std::cerr << "csv_dump: " << status.ToString() << '\n';
    return 1;
  }
  return 0;
}
