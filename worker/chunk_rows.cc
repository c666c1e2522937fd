#include "worker/chunk_rows.h"

#include "common/csv_record.h"
#include "common/csv_writer.h"
#include "common/jsonl_row.h"

namespace sieve {
namespace {

// Calls `each(line)` for every line of `bytes` (each with its "\n"), until it fails.
template <typename F>
Status ForEachLine(std::string_view bytes, F each) {
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const size_t end = nl == std::string_view::npos ? bytes.size() : nl + 1;
    SIEVE_RETURN_IF_ERROR(each(bytes.substr(0, end)));
    bytes.remove_prefix(end);
  }
  return Status::Ok();
}

// Calls `each(record, fields)` for every CSV record of `bytes`, until it fails.
template <typename F>
Status ForEachRecord(std::string_view bytes, F each) {
  RecordIterator records(bytes);
  RecordFields fields;
  std::string_view record;
  while (true) {
    Result<bool> more = records.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
    SIEVE_RETURN_IF_ERROR(ParseRecord(record, &fields));
    SIEVE_RETURN_IF_ERROR(each(record, fields));
  }
}

}  // namespace

Result<ChunkShape> ChunkShape::Of(const proto::JobSpec& spec) {
  ChunkShape shape;
  Result<RecordFormat> input = ParseRecordFormat(spec.input_format, "--input-format");
  if (!input.ok()) return input.status();
  Result<RecordFormat> output = ParseRecordFormat(spec.output_format, "--output-format");
  if (!output.ok()) return output.status();
  shape.input = *input;
  shape.output = *output;
  shape.label_column = spec.label_column;
  return shape;
}

Status ParseChunkRows(const proto::JobSpec& spec, const ChunkShape& shape,
                      const std::string& header_record, const std::string& bytes,
                      RowBatch* batch) {
  RecordFields header;
  SIEVE_RETURN_IF_ERROR(ParseRecord(header_record, &header));
  batch->header.assign(header.begin(), header.end());
  if (shape.input == RecordFormat::kCsv) {
    return ForEachRecord(bytes, [&](std::string_view, const RecordFields& fields) {
      batch->rows.emplace_back(fields.begin(), fields.end());
      return Status::Ok();
    });
  }
  const bool bodies = spec.body_template.empty();
  return ForEachLine(bytes, [&](std::string_view line) {
    std::vector<std::string> fields;
    std::string body;
    SIEVE_RETURN_IF_ERROR(
        JsonlToFields(line, batch->header, spec.fields, &fields, bodies ? &body : nullptr));
    batch->rows.push_back(std::move(fields));
    if (bodies) batch->bodies.push_back(std::move(body));
    return Status::Ok();
  });
}

Status AppendLabelledRows(const ChunkShape& shape, std::string_view chunk,
                          std::span<const std::string> labels, std::string* out) {
  size_t row = 0;
  if (shape.input == RecordFormat::kCsv) {
    return ForEachRecord(chunk, [&](std::string_view record, const RecordFields& fields) {
      if (row >= labels.size()) return Status::Ok();
      std::string_view label = labels[row++];
      if (shape.output == RecordFormat::kCsv) {
        AppendColumns(record, std::span<const std::string_view>(&label, 1), out);
      } else {
        AppendFieldsAsJsonl(shape.header, fields.fields(), shape.label_column, label, out);
      }
      return Status::Ok();
    });
  }
  return ForEachLine(chunk, [&](std::string_view line) {
    if (row >= labels.size()) return Status::Ok();
    std::string_view label = labels[row++];
    return shape.output == RecordFormat::kJsonl
               ? AppendJsonlLabelled(line, shape.label_column, label, out)
               : AppendJsonlAsCsv(line, shape.header, label, out);
  });
}

}  // namespace sieve
