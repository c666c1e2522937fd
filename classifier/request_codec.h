// Request codec: the JSON bodies of the classifier's HTTP API (the seed's FastAPI shape).
//
//   POST /classify        {"website": "...", "content": "..."}  -> {"label": "news", "score": 0.93}
//   POST /classify/batch  [{...}, {...}]                         -> [{"label":...}, ...] in order
//   errors                                                      -> {"detail": "..."}
// Only the text field (configurable, default "content") is read; other members are ignored.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/naive_bayes.h"
#include "common/status.h"

namespace sieve::classifier {

// A refused request: the HTTP status to answer and the detail message.
struct RequestError {
  int status;
  std::string detail;
};

// The texts of a request: one for /classify, the batch in order for /classify/batch.
// Errors: 400 when the body is not JSON; 422 when it has the wrong shape (not an object / array,
// missing or non-string text field, non-object element); 413 when a batch has more than
// `max_batch` elements.
struct ParsedTexts {
  std::vector<std::string> texts;
  std::optional<RequestError> error;
};
ParsedTexts ParseClassifyBody(std::string_view body, std::string_view text_field);
ParsedTexts ParseBatchBody(std::string_view body, std::string_view text_field,
                           std::size_t max_batch);

// {"label": ..., "score": ...} with the score rounded to 4 decimals. Deterministic bytes.
std::string FormatPrediction(const Prediction& prediction);
// The JSON array of FormatPrediction objects, in order.
std::string FormatPredictions(const std::vector<Prediction>& predictions);
// {"detail": detail}
std::string FormatDetail(std::string_view detail);

}  // namespace sieve::classifier
