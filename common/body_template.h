// BodyTemplate: a --body-template, compiled once, that renders a row into a request body.
//
// A template is a JSON document. Inside its strings (values and keys), `{{column}}` is replaced
// by that field of the row, JSON-escaped (common/json_escape.h); spaces inside the braces are
// ignored (`{{ content }}`). Everything else is copied: the document is re-serialised once,
// compactly, with its key order kept. Compiling parses the template and binds every placeholder
// to a column index of the header, leaving a list of pieces (literal bytes, then an optional
// column slot), so rendering a row is one append per piece plus the escaped fields: no parsing,
// no lookup, no allocation beyond the output's growth.
//
//   {"messages":[{"role":"user","content":"Site {{website}}: {{content}}"}],"temperature":0}
//   -> pieces: `{"messages":[{"role":"user","content":"Site ` [website] `: ` [content]
//              `"}],"temperature":0}`
//
// Errors, at compile time (a usage error: nothing has been sent): the template is not JSON, a
// `{{` is not closed, a placeholder is empty, or it names a column the header does not have
// (the message lists the columns there are). At render time (a per-row error): a field is not
// valid UTF-8, or the row has fewer fields than the header.
//
// Thread-safety: immutable after Compile; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sieve {

class BodyTemplate {
 public:
  // Parses `text` and binds its placeholders to `header`'s columns. InvalidArgument naming
  // --body-template and the problem otherwise. Cost: O(template size + placeholders x columns).
  static Result<BodyTemplate> Compile(std::string_view text,
                                      const std::vector<std::string>& header);

  // Appends the rendered body for `row` (fields in header order) to `out`.
  // InvalidArgument, leaving `out` as it was, when a field used is not valid UTF-8 ("invalid
  // UTF-8 in column 'content' at byte 17") or the row lacks a column. Cost: O(body size).
  Status Append(std::span<const std::string> row, std::string* out) const;

  // The columns the template uses, in order of first use.
  const std::vector<std::string>& columns() const { return columns_; }
  // Placeholders in the template (a column used twice counts twice).
  size_t slots() const;

 private:
  static constexpr size_t kNoColumn = static_cast<size_t>(-1);
  struct Piece {
    std::string literal;       // bytes copied as they are
    size_t column = kNoColumn; // then this field, escaped (kNoColumn: nothing)
  };
  BodyTemplate(std::vector<Piece> pieces, std::vector<std::string> columns,
               std::vector<std::string> header)
      : pieces_(std::move(pieces)), columns_(std::move(columns)), header_(std::move(header)) {}

  std::vector<Piece> pieces_;
  std::vector<std::string> columns_;
  std::vector<std::string> header_;  // for error messages
};

}  // namespace sieve
