#include "classifier/request_codec.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace sieve::classifier {
namespace {

using nlohmann::json;

// Reads the text field of one request object into `out`, or returns the error.
std::optional<RequestError> TextOf(const json& object, std::string_view text_field,
                                   std::string_view where, std::string* out) {
  if (!object.is_object()) {
    return RequestError{422, std::string(where) + " must be a JSON object"};
  }
  auto it = object.find(text_field);
  if (it == object.end()) {
    return RequestError{
        422, std::string(where) + ": field '" + std::string(text_field) + "' is required"};
  }
  if (!it->is_string()) {
    return RequestError{
        422, std::string(where) + ": field '" + std::string(text_field) + "' must be a string"};
  }
  *out = it->get<std::string>();
  return std::nullopt;
}

// Parses `body` as JSON; on failure sets `parsed->error`.
json ParseJson(std::string_view body, ParsedTexts* parsed) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) parsed->error = RequestError{400, "request body is not valid JSON"};
  return doc;
}

// Labels come from a model file: never let a stray byte turn into an exception.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json PredictionJson(const Prediction& p) {
  return json{{"label", p.label}, {"score", std::round(p.score * 1e4) / 1e4}};
}

}  // namespace

ParsedTexts ParseClassifyBody(std::string_view body, std::string_view text_field) {
  ParsedTexts parsed;
  json doc = ParseJson(body, &parsed);
  if (parsed.error) return parsed;
  std::string text;
  parsed.error = TextOf(doc, text_field, "request body", &text);
  if (!parsed.error) parsed.texts.push_back(std::move(text));
  return parsed;
}

ParsedTexts ParseBatchBody(std::string_view body, std::string_view text_field,
                           std::size_t max_batch) {
  ParsedTexts parsed;
  json doc = ParseJson(body, &parsed);
  if (parsed.error) return parsed;
  if (!doc.is_array()) {
    parsed.error = RequestError{422, "request body must be a JSON array of objects"};
    return parsed;
  }
  if (doc.size() > max_batch) {
    parsed.error = RequestError{413, "batch has " + std::to_string(doc.size()) +
                                         " elements, the limit is " + std::to_string(max_batch)};
    return parsed;
  }
  parsed.texts.resize(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    parsed.error = TextOf(doc[i], text_field, "element " + std::to_string(i), &parsed.texts[i]);
    if (parsed.error) {
      parsed.texts.clear();
      return parsed;
    }
  }
  return parsed;
}

std::string FormatPrediction(const Prediction& prediction) {
  return Dump(PredictionJson(prediction));
}

std::string FormatPredictions(const std::vector<Prediction>& predictions) {
  json out = json::array();
  for (const Prediction& p : predictions) out.push_back(PredictionJson(p));
  return Dump(out);
}

std::string FormatDetail(std::string_view detail) { return Dump(json{{"detail", detail}}); }

}  // namespace sieve::classifier
