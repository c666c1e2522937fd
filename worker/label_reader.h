// LabelReader: finds the label in an endpoint's JSON answer.
//
// The label field is either a key of the top-level object ("label") or a JSON pointer
// ("/result/label"; a field that starts with '/' is always a pointer). Strings are taken as they
// are; numbers are written in their JSON form ("3", "0.25"). Anything else is an error whose
// message becomes the row's reason.
//
// Token usage: an answer (or, in a batch, an element) that carries OpenAI-shaped
// "usage": {"prompt_tokens": P, "completion_tokens": C} adds P and C to *usage when the caller
// passes one; non-numeric or missing members count 0.
//
// Thread-safety: immutable after Create; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sieve {

struct TokenUsage {
  uint64_t prompt = 0;
  uint64_t completion = 0;
};

class LabelReader {
 public:
  // Fails with InvalidArgument on an empty field or a malformed JSON pointer.
  static Result<LabelReader> Create(const std::string& label_field);

  // The label in a single-row answer. Fails with Corrupt: "response is not JSON",
  // "no field 'label' in response", "field 'label' is an array, not a string or number".
  Result<std::string> ReadOne(std::string_view body, TokenUsage* usage = nullptr) const;

  // The labels of a batch answer: a JSON array with one element per row, in row order, each
  // element either an object holding the label field or a bare string/number label.
  // Fails with Corrupt for the whole batch when the body is not a JSON array of `rows` elements
  // ("batch answer has 3 elements for 4 rows"); otherwise returns one Result per row.
  Result<std::vector<Result<std::string>>> ReadBatch(std::string_view body, size_t rows,
                                                     TokenUsage* usage = nullptr) const;

 private:
  LabelReader(nlohmann::json::json_pointer pointer, std::string name)
      : pointer_(std::move(pointer)), name_(std::move(name)) {}

  Result<std::string> LabelOf(const nlohmann::json& answer) const;

  nlohmann::json::json_pointer pointer_;
  std::string name_;  // as the user wrote it, for messages
};

}  // namespace sieve
