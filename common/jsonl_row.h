// One JSON Lines row as the worker uses it (docs/jsonl.md): its fields by column for request
// bodies and templates, and the labelled output line in either output format.
//
// A row is one JSON object. Its field for a column (a key) is the value's text when it is a
// string, the value as compact JSON otherwise (12, true, {"a":1}), and empty when the key is
// missing or null. Output lines keep the input object: JSON Lines output is the line's own
// bytes with `,"<label column>":"<label>"` spliced in before its closing brace (the object is
// re-serialised, compactly and in its key order, only when it already has that key, whose
// value is then replaced).
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sieve {

// Parses `line` (one object, with or without its terminator) and sets *fields to its field for
// each of `columns`. When `body` is not null, sets it to the request body for the row: the line
// itself (without terminator) when `selected` is empty, else an object with only the `selected`
// keys, in that order, with their JSON values (absent keys are left out).
// Corrupt when the line is not one JSON object. Cost: one parse of the line.
[[nodiscard]] Status JsonlToFields(std::string_view line, std::span<const std::string> columns,
                                   std::span<const std::string> selected,
                                   std::vector<std::string>* fields, std::string* body);

// Appends the labelled JSON Lines output of one input line: the object with `key` set to
// `label`, then "\n". Corrupt (leaving `out` as it was) when the line is not one JSON object.
// Invalid UTF-8 in `label` is replaced by U+FFFD.
[[nodiscard]] Status AppendJsonlLabelled(std::string_view line, std::string_view key,
                                         std::string_view label, std::string* out);

// Appends a CSV row as a JSON Lines output line: {"column":"field",...,"key":"label"}\n
// (every value a string; invalid UTF-8 replaced by U+FFFD). REQUIRES: fields.size() ==
// columns.size().
void AppendFieldsAsJsonl(std::span<const std::string> columns,
                         std::span<const std::string_view> fields, std::string_view key,
                         std::string_view label, std::string* out);

// Appends a JSON Lines row as a CSV output record: its field for each of `columns`, then the
// label, quoted as needed, then "\n". Corrupt (leaving `out` as it was) when the line is not one
// JSON object.
[[nodiscard]] Status AppendJsonlAsCsv(std::string_view line, std::span<const std::string> columns,
                                      std::string_view label, std::string* out);

}  // namespace sieve
