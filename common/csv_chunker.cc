// DESIGN: see csv_chunker.h. The per-file work (blocks, scanning, limits) is CsvFileReader;
// this file adds sources, headers and the cutting of records into chunks.
#include "common/csv_chunker.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/csv_file_reader.h"
#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/jsonl_file_reader.h"
#include "common/utf8.h"

namespace sieve {
namespace {

constexpr size_t kMaxShownHeader = 200;

class FileSource final : public CsvSource {
 public:
  FileSource(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  const std::string& name() const override { return path_; }
  Result<size_t> Read(char* buf, size_t n) override {
    while (true) {
      const ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return Status::IoError(path_ + ": read failed: " + std::strerror(errno));
    }
  }

 private:
  const std::string path_;
  const int fd_;
};

class StringSource final : public CsvSource {
 public:
  StringSource(std::string name, std::shared_ptr<const std::string> data)
      : name_(std::move(name)), data_(std::move(data)) {}

  const std::string& name() const override { return name_; }
  Result<size_t> Read(char* buf, size_t n) override {
    const size_t got = std::min(n, data_->size() - pos_);
    std::memcpy(buf, data_->data() + pos_, got);
    pos_ += got;
    return got;
  }

 private:
  const std::string name_;
  const std::shared_ptr<const std::string> data_;
  size_t pos_ = 0;
};

std::string_view StripTerminator(std::string_view record) {
  if (record.ends_with("\r\n")) return record.substr(0, record.size() - 2);
  if (record.ends_with('\n')) return record.substr(0, record.size() - 1);
  return record;
}

std::string Shown(std::string_view header) {
  if (header.size() <= kMaxShownHeader) return "\"" + std::string(header) + "\"";
  return "\"" + std::string(header.substr(0, kMaxShownHeader)) + "...\"";
}

std::string Where(const std::string& name, uint64_t line) {
  return name + ":" + std::to_string(line) + ": ";
}

// Fills *header from the first file's header record.
Status ParseHeader(const std::string& name, const CsvRawRecord& record, CsvHeader* header) {
  header->raw = std::string(StripTerminator(record.bytes));
  header->terminator = std::string(record.bytes.substr(header->raw.size()));
  size_t bad = 0;
  if (!IsValidUtf8(header->raw, &bad)) {
    return Status::Corrupt(Where(name, record.line) + "invalid UTF-8 in the header at byte " +
                           std::to_string(bad + 1) + "; save the file as UTF-8");
  }
  RecordFields fields;
  Status parsed = ParseRecord(header->raw, &fields);
  if (!parsed.ok()) return Status::Corrupt(Where(name, record.line) + parsed.message());
  header->columns.assign(fields.begin(), fields.end());
  return Status::Ok();
}

// Fills *header from the keys of the first JSON object (its columns, in the line's order).
Status ParseJsonlHeader(const std::string& name, const CsvRawRecord& record,
                        const CsvLimits& limits, CsvHeader* header) {
  nlohmann::ordered_json object = nlohmann::ordered_json::parse(
      record.bytes.begin(), record.bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return Status::Corrupt(Where(name, record.line) + "not a JSON object");
  if (object.empty()) {
    return Status::Corrupt(Where(name, record.line) +
                           "the first object has no keys; its keys name the columns, e.g. "
                           "{\"website\": \"...\", \"content\": \"...\"}");
  }
  if (object.size() > limits.max_columns) {
    return Status::TooLarge(Where(name, record.line) + "the first object has " +
                            std::to_string(object.size()) + " keys, more than " +
                            std::to_string(limits.max_columns));
  }
  header->columns.clear();
  header->raw.clear();
  for (const auto& item : object.items()) {
    if (!header->columns.empty()) header->raw.push_back(',');
    AppendCsvField(item.key(), &header->raw);
    header->columns.push_back(item.key());
  }
  header->terminator = "\n";
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<CsvSource>> OpenCsvFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string message = path + ": cannot open: " + std::strerror(errno);
    if (errno == ENOENT) return Status::NotFound(message);
    return Status::IoError(message);
  }
  return std::unique_ptr<CsvSource>(std::make_unique<FileSource>(path, fd));
}

std::unique_ptr<CsvSource> MakeCsvStringSource(std::string name, std::string data) {
  return std::make_unique<StringSource>(std::move(name),
                                        std::make_shared<const std::string>(std::move(data)));
}

CsvChunker::CsvChunker(std::vector<CsvSourceFactory> sources, CsvLimits limits,
                       uint32_t rows_per_chunk, uint64_t max_chunk_bytes, RecordFormat format)
    : sources_(std::move(sources)),
      limits_(limits),
      rows_per_chunk_(rows_per_chunk),
      max_chunk_bytes_(max_chunk_bytes),
      format_(format) {}

CsvChunker::~CsvChunker() = default;

Result<std::unique_ptr<CsvChunker>> CsvChunker::Open(std::vector<std::string> paths,
                                                     CsvLimits limits, uint32_t rows_per_chunk,
                                                     uint64_t max_chunk_bytes,
                                                     RecordFormat format) {
  std::vector<CsvSourceFactory> sources;
  for (std::string& path : paths) {
    sources.push_back([path = std::move(path)] { return OpenCsvFile(path); });
  }
  return OpenSources(std::move(sources), limits, rows_per_chunk, max_chunk_bytes, format);
}

Result<std::unique_ptr<CsvChunker>> CsvChunker::OpenString(std::string name, std::string data,
                                                           CsvLimits limits,
                                                           uint32_t rows_per_chunk,
                                                           uint64_t max_chunk_bytes,
                                                           RecordFormat format) {
  auto shared = std::make_shared<const std::string>(std::move(data));
  CsvSourceFactory factory = [name = std::move(name),
                              shared]() -> Result<std::unique_ptr<CsvSource>> {
    return std::unique_ptr<CsvSource>(std::make_unique<StringSource>(name, shared));
  };
  return OpenSources({std::move(factory)}, limits, rows_per_chunk, max_chunk_bytes, format);
}

Result<std::unique_ptr<CsvChunker>> CsvChunker::OpenSources(std::vector<CsvSourceFactory> sources,
                                                            CsvLimits limits,
                                                            uint32_t rows_per_chunk,
                                                            uint64_t max_chunk_bytes,
                                                            RecordFormat format) {
  if (sources.empty()) return Status::InvalidArgument("no input files given");
  if (rows_per_chunk == 0) return Status::InvalidArgument("rows per chunk must be at least 1");
  if (max_chunk_bytes == 0) return Status::InvalidArgument("bytes per chunk must be at least 1");
  SIEVE_RETURN_IF_ERROR(limits.Validate());
  std::unique_ptr<CsvChunker> chunker(
      new CsvChunker(std::move(sources), limits, rows_per_chunk, max_chunk_bytes, format));
  for (size_t i = 0; i < chunker->sources_.size(); ++i) {
    Result<std::unique_ptr<RecordReader>> reader = chunker->OpenFile(i);
    if (!reader.ok()) return reader.status();
    if (i == 0) chunker->reader_ = std::move(*reader);  // keep reading where its header ends
  }
  chunker->next_source_ = 1;
  return chunker;
}

Result<std::unique_ptr<RecordReader>> CsvChunker::OpenFile(size_t i) {
  Result<std::unique_ptr<CsvSource>> source = sources_[i]();
  if (!source.ok()) return source.status();
  const std::string name = (*source)->name();
  if (format_ == RecordFormat::kJsonl) {
    auto reader = std::make_unique<JsonlFileReader>(std::move(*source), limits_);
    if (i != 0) return std::unique_ptr<RecordReader>(std::move(reader));
    CsvRawRecord record;
    Result<bool> found = reader->Next(&record);
    if (!found.ok()) return found.status();
    if (!*found) {
      return Status::Corrupt(name + ": empty input: no JSON object; each line must hold one "
                             "object, e.g. {\"website\": \"...\", \"content\": \"...\"}");
    }
    first_source_name_ = name;
    SIEVE_RETURN_IF_ERROR(ParseJsonlHeader(name, record, limits_, &header_));
    carried_record_.assign(record.bytes);  // the first object is a row too: it starts chunk 0
    carried_line_ = record.line;
    return std::unique_ptr<RecordReader>(std::move(reader));
  }
  auto reader = std::make_unique<CsvFileReader>(std::move(*source), limits_);
  CsvRawRecord record;
  Result<bool> found = reader->Next(&record);
  if (!found.ok()) return found.status();
  if (!*found) {
    return Status::Corrupt(name + ": empty input: no header line; the first line must name the "
                           "columns, e.g. website,content");
  }
  if (i == 0) {
    first_source_name_ = name;
    SIEVE_RETURN_IF_ERROR(ParseHeader(name, record, &header_));
  } else if (StripTerminator(record.bytes) != header_.raw) {
    return Status::Corrupt(Where(name, record.line) + "header " +
                           Shown(StripTerminator(record.bytes)) + " differs from the header " +
                           Shown(header_.raw) + " of " + first_source_name_ +
                           "; all input files must have the same header");
  }
  return std::unique_ptr<RecordReader>(std::move(reader));
}

Result<std::optional<CsvChunk>> CsvChunker::Next() {
  if (!error_.ok()) return error_;
  Result<std::optional<CsvChunk>> chunk = FillChunk();
  if (!chunk.ok()) error_ = chunk.status();
  return chunk;
}

void CsvChunker::StartChunk(CsvChunk& chunk, uint64_t line, size_t record_bytes) {
  chunk.index = next_index_++;
  chunk.first_row = next_row_;
  chunk.source = reader_->name();
  chunk.first_line = line;
  chunk.bytes.reserve(std::min<uint64_t>(last_chunk_bytes_ + last_chunk_bytes_ / 8,
                                         std::max<uint64_t>(max_chunk_bytes_, record_bytes)));
  ++chunk.row_count;
  ++next_row_;
}

// Loop: one record per turn. A record that would take a non-empty chunk past max_chunk_bytes_
// is carried (copied once) into the next call, which starts its chunk with it.
Result<std::optional<CsvChunk>> CsvChunker::FillChunk() {
  CsvChunk chunk;
  if (!carried_record_.empty()) {
    chunk.bytes = std::move(carried_record_);  // its buffer becomes the chunk's
    carried_record_.clear();
    StartChunk(chunk, carried_line_, chunk.bytes.size());
  }
  while (chunk.row_count < rows_per_chunk_) {
    if (reader_ == nullptr) {
      if (chunk.row_count > 0 || next_source_ >= sources_.size()) break;
      Result<std::unique_ptr<RecordReader>> reader = OpenFile(next_source_++);
      if (!reader.ok()) return reader.status();
      reader_ = std::move(*reader);
    }
    CsvRawRecord record;
    Result<bool> found = reader_->Next(&record);
    if (!found.ok()) return found.status();
    if (!*found) {
      reader_.reset();  // a chunk never spans two files
      continue;
    }
    if (format_ == RecordFormat::kCsv && record.field_count != header_.columns.size()) {
      return Status::Corrupt(Where(reader_->name(), record.line) + "record has " +
                             std::to_string(record.field_count) + " fields but the header has " +
                             std::to_string(header_.columns.size()) +
                             "; fields holding commas must be quoted");
    }
    if (chunk.row_count == 0) {
      StartChunk(chunk, record.line, record.bytes.size());
      chunk.bytes.append(record.bytes);
      continue;
    }
    if (chunk.bytes.size() + record.bytes.size() > max_chunk_bytes_) {
      carried_record_.assign(record.bytes);
      carried_line_ = record.line;
      break;
    }
    chunk.bytes.append(record.bytes);
    ++chunk.row_count;
    ++next_row_;
  }
  if (chunk.row_count == 0) return std::optional<CsvChunk>();
  last_chunk_bytes_ = chunk.bytes.size();
  return std::optional<CsvChunk>(std::move(chunk));
}

}  // namespace sieve
