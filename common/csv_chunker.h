// CsvChunker: turns one or more CSV files (one logical input) into chunks of whole records.
//
// DESIGN
// The files are read one after the other, block by block (CsvLimits::block_bytes). Each
// file's first non-blank record is its header; every file's header must equal the first
// file's byte for byte (after stripping a UTF-8 BOM and the line terminator). Open() checks
// all headers up front, so a mismatch is reported before any chunk is produced. Next() then
// cuts the data records into chunks at true record boundaries (quoted fields may hold
// newlines): a chunk ends after rows_per_chunk records or before the record that would take it
// past max_chunk_bytes, whichever comes first. A single record larger than max_chunk_bytes is
// a chunk of its own (the record limits of CsvLimits still apply). A chunk never spans two
// files, so the last chunk of each file may be short.
//
// Each record keeps its original bytes (including "\r\n" or "\n"); a final record without
// a terminator gets "\n" appended. Blank lines (a lone "\n" or "\r\n") are not records and
// are skipped, as pandas and Python's csv module do. Every record is validated while it is
// scanned: quoting rules (see csv_record.h), same field count as the header, and the
// limits of CsvLimits; the first violation stops the input with an error
// "<file>:<line>: <reason>" where line is the 1-based physical line in that file.
//
// Memory: one block plus the record that straddles it, plus the chunk being built (at most
// max(max_chunk_bytes, one record)) — independent of the input size and of the row size
// times rows_per_chunk. Throughput: the scan is SIMD mask arithmetic, ~GB/s.
//
// JSON Lines (format kJsonl, docs/jsonl.md): each non-blank line is one record and must hold
// one JSON object (JsonlFileReader). There is no header line: the header's columns are the
// keys of the input's first object (header.raw is them as a CSV record), and lines may have
// other keys. Chunks are cut by the same rules.
//
// Thread-safety: none; one chunker is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/csv_limits.h"
#include "common/record_format.h"
#include "common/status.h"

namespace sieve {

class RecordReader;

// The byte bound of a chunk when none is given (`--chunk-bytes`'s default).
inline constexpr uint64_t kDefaultChunkBytes = uint64_t{4} << 20;  // 4 MiB

// A stream of bytes to chunk: a file, or a string in tests and fuzzing.
class CsvSource {
 public:
  virtual ~CsvSource() = default;
  // The name used in error messages (the path as given for files).
  virtual const std::string& name() const = 0;
  // Reads up to `n` bytes into `buf`; returns the count, 0 only at the end of the stream.
  // Fails with IoError.
  [[nodiscard]] virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// Opens `path` for reading. Fails with NotFound or IoError naming the path.
[[nodiscard]] Result<std::unique_ptr<CsvSource>> OpenCsvFile(const std::string& path);
// A source over `data`, reported as `name` in errors.
std::unique_ptr<CsvSource> MakeCsvStringSource(std::string name, std::string data);

// Opens a source again from the start: CsvChunker reads each input twice (headers first).
using CsvSourceFactory = std::function<Result<std::unique_ptr<CsvSource>>()>;

struct CsvHeader {
  std::string raw;                   // header bytes without BOM and terminator
  std::string terminator;            // "\n" or "\r\n", as in the first file
  std::vector<std::string> columns;  // unquoted column names
};

struct CsvChunk {
  uint64_t index = 0;       // 0-based across the logical input
  uint64_t first_row = 0;   // 0-based data row number across all files
  uint32_t row_count = 0;   // >= 1
  std::string bytes;        // the records, each ending with its own terminator
  std::string source;       // name of the file the records come from
  uint64_t first_line = 0;  // 1-based physical line of the first record in `source`
};

class CsvChunker {
 public:
  // Opens `paths` (at least one) as one logical input and reads and checks every header.
  // Chunks hold at most `rows_per_chunk` records and at most `max_chunk_bytes` bytes (unless
  // one record alone is larger). Fails with InvalidArgument (no paths, rows_per_chunk == 0,
  // max_chunk_bytes == 0, bad limits), NotFound /
  // IoError (a file), Corrupt (empty input, no header, invalid UTF-8 in a header, a header
  // that differs from the first file's — the message names both files) or TooLarge
  // (a header over the limits).
  [[nodiscard]] static Result<std::unique_ptr<CsvChunker>> Open(
      std::vector<std::string> paths, CsvLimits limits, uint32_t rows_per_chunk,
      uint64_t max_chunk_bytes = kDefaultChunkBytes, RecordFormat format = RecordFormat::kCsv);
  // As Open, over arbitrary sources; each factory must yield the same bytes every call.
  [[nodiscard]] static Result<std::unique_ptr<CsvChunker>> OpenSources(
      std::vector<CsvSourceFactory> sources, CsvLimits limits, uint32_t rows_per_chunk,
      uint64_t max_chunk_bytes = kDefaultChunkBytes, RecordFormat format = RecordFormat::kCsv);
  // Convenience for tests and fuzzing: one in-memory input named `name`.
  [[nodiscard]] static Result<std::unique_ptr<CsvChunker>> OpenString(
      std::string name, std::string data, CsvLimits limits, uint32_t rows_per_chunk,
      uint64_t max_chunk_bytes = kDefaultChunkBytes, RecordFormat format = RecordFormat::kCsv);

  ~CsvChunker();
  CsvChunker(const CsvChunker&) = delete;
  CsvChunker& operator=(const CsvChunker&) = delete;

  // The first file's header (valid for the chunker's lifetime).
  const CsvHeader& header() const { return header_; }

  // Returns the next chunk, or nullopt after the last one. Fails with Corrupt / TooLarge
  // ("<file>:<line>: <reason>") or IoError; after a failure every call returns that error.
  [[nodiscard]] Result<std::optional<CsvChunk>> Next();

  // Data rows returned so far.
  uint64_t rows_read() const { return next_row_; }

 private:
  CsvChunker(std::vector<CsvSourceFactory> sources, CsvLimits limits, uint32_t rows_per_chunk,
             uint64_t max_chunk_bytes, RecordFormat format);
  // Opens source `i` and reads its header; the first call (i == 0) sets header_, later
  // calls compare against it. JSON Lines: source 0's first object sets header_ and is
  // carried into the first chunk; other sources are only opened.
  Result<std::unique_ptr<RecordReader>> OpenFile(size_t i);
  Result<std::optional<CsvChunk>> FillChunk();
  // Makes `chunk` start with a record of `record_bytes` bytes found at `line` of the current
  // file: sets its position, counts the record, reserves its buffer. The caller puts the
  // record's bytes in chunk.bytes.
  void StartChunk(CsvChunk& chunk, uint64_t line, size_t record_bytes);

  std::vector<CsvSourceFactory> sources_;
  CsvLimits limits_;
  uint32_t rows_per_chunk_;
  uint64_t max_chunk_bytes_;
  CsvHeader header_;
  std::string first_source_name_;
  size_t next_source_ = 0;
  RecordFormat format_;
  std::unique_ptr<RecordReader> reader_;  // the current file, null between files
  uint64_t next_index_ = 0;
  uint64_t next_row_ = 0;
  size_t last_chunk_bytes_ = 0;  // to reserve the next chunk's buffer in one allocation
  // A record of the current file read but left for the next chunk (it would have taken the
  // previous one past max_chunk_bytes_): its bytes and line; empty bytes when there is none.
  std::string carried_record_;
  uint64_t carried_line_ = 0;
  Status error_;
};

}  // namespace sieve
