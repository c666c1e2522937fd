// libFuzzer target for the JSON a remote HTTP peer controls:
//   - the worker's LabelReader (worker/label_reader.h): an inference endpoint's answers,
//     single and batch, read with a key and with a JSON pointer;
//   - the classifier's request codec (classifier/request_codec.h): the bodies clients POST.
//
// DESIGN: byte 0 picks the batch size (1..8) for ReadBatch; the rest is the body. Invariants
// beyond "no crash, no sanitizer report": a label read successfully is exactly what the body
// holds at the label field (checked against an independent nlohmann parse of the body): the
// string itself, or a number in its JSON form (so never empty); a failed read has a reason; a
// batch read gives exactly `rows` results, each checked the same way against its element; a
// parse either yields texts or an error with a 4xx status, never both, and a batch never
// exceeds its limit.
// Seeds: tests/fuzz/corpus/http_json/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "classifier/request_codec.h"
#include "worker/label_reader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

using Json = nlohmann::json;
using Pointer = Json::json_pointer;

const sieve::LabelReader& KeyReader() {
  static const sieve::LabelReader reader = *sieve::LabelReader::Create("label");
  return reader;
}

const sieve::LabelReader& PointerReader() {
  static const sieve::LabelReader reader = *sieve::LabelReader::Create("/result/0/label");
  return reader;
}

// The value at `pointer` in `json`, or null when there is none.
const Json* Find(const Json& json, const Pointer& pointer) {
  try {
    return json.contains(pointer) ? &json.at(pointer) : nullptr;
  } catch (const Json::exception&) {
    return nullptr;
  }
}

// `label`, read successfully, is what `value` holds: the string, or the number's JSON text.
void CheckLabel(const Json* value, const std::string& label) {
  Check(value != nullptr);
  if (value->is_number()) {
    Check(!label.empty() && label == value->dump());
  } else {
    Check(value->is_string() && label == value->get<std::string>());
  }
}

void CheckOne(const sieve::Result<std::string>& label, const Json* value) {
  if (label.ok()) {
    CheckLabel(value, *label);
  } else {
    Check(!label.status().message().empty());
  }
}

void CheckAnswer(const sieve::LabelReader& reader, const Pointer& field, std::string_view body,
                 std::size_t rows) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  CheckOne(reader.ReadOne(body), json.is_discarded() ? nullptr : Find(json, field));
  auto batch = reader.ReadBatch(body, rows);
  if (!batch.ok()) {
    Check(!batch.status().message().empty());
    return;
  }
  Check(batch->size() == rows && json.is_array() && json.size() == rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const Json& element = json[i];
    CheckOne((*batch)[i], element.is_string() || element.is_number() ? &element
                                                                      : Find(element, field));
  }
}

void CheckParsed(const sieve::classifier::ParsedTexts& parsed, std::size_t max_batch) {
  if (parsed.error) {
    Check(parsed.error->status >= 400 && parsed.error->status < 500);
    Check(parsed.texts.empty());
  } else {
    Check(parsed.texts.size() <= max_batch);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t rows = 1 + data[0] % 8;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  CheckAnswer(KeyReader(), Pointer("/label"), body, rows);
  CheckAnswer(PointerReader(), Pointer("/result/0/label"), body, rows);
  sieve::classifier::ParsedTexts one = sieve::classifier::ParseClassifyBody(body, "content");
  CheckParsed(one, 1);
  Check(one.error || one.texts.size() == 1);
  CheckParsed(sieve::classifier::ParseBatchBody(body, "content", 64), 64);
  return 0;
}
