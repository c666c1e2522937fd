// Request bodies: the JSON the engine POSTs for a row (an object keyed by column name) or for a
// batch of rows (an array of such objects).
//
// Escaping (hand-written for the hot path, UTF-8 validated first so a row with invalid UTF-8
// becomes a per-row error, not a bad request) is common/json_escape.h. With a --body-template
// the body is rendered by common/body_template.h instead.
//
// Thread-safety: RowEncoder is immutable after Create; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_escape.h"
#include "common/status.h"

namespace sieve {

// Encodes rows of one chunk as JSON objects keyed by column name.
class RowEncoder {
 public:
  // `header` names the columns; `fields`, when not empty, selects and orders the columns sent.
  // Fails with InvalidArgument when a selected field is not in the header or a column name is
  // not valid UTF-8.
  static Result<RowEncoder> Create(const std::vector<std::string>& header,
                                   const std::vector<std::string>& fields);

  // Appends `{"col":"value",...}` for `row` to `out`.
  // Fails with InvalidArgument, leaving `out` as it was, when a value is not valid UTF-8
  // ("invalid UTF-8 in column 'content' at byte 17") or the row lacks a selected column.
  Status AppendObject(std::span<const std::string> row, std::string* out) const;

 private:
  struct Column {
    size_t index;        // position in the row
    std::string prefix;  // `{"name":` for the first column, `,"name":` for the others
    std::string name;    // for error messages
  };
  explicit RowEncoder(std::vector<Column> columns) : columns_(std::move(columns)) {}

  std::vector<Column> columns_;
};

}  // namespace sieve
