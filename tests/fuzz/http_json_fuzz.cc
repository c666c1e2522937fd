// libFuzzer target for the JSON a remote HTTP peer controls:
//   - the worker's LabelReader (worker/label_reader.h): an inference endpoint's answers,
//     single and batch, read with a key and with a JSON pointer;
//   - the classifier's request codec (classifier/request_codec.h): the bodies clients POST.
//
// DESIGN: byte 0 picks the batch size (1..8) for ReadBatch; the rest is the body. Invariants
// beyond "no crash, no sanitizer report": a label read successfully is a string (numbers in
// their JSON form, so never empty); a batch read gives exactly `rows` results; a parse either
// yields texts or an error with a 4xx status, never both, and a batch never exceeds its limit.
// Seeds: tests/fuzz/corpus/http_json/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "classifier/request_codec.h"
#include "worker/label_reader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const sieve::LabelReader& KeyReader() {
  static const sieve::LabelReader reader = *sieve::LabelReader::Create("label");
  return reader;
}

const sieve::LabelReader& PointerReader() {
  static const sieve::LabelReader reader = *sieve::LabelReader::Create("/result/0/label");
  return reader;
}

void CheckAnswer(const sieve::LabelReader& reader, std::string_view body, std::size_t rows) {
  sieve::Result<std::string> one = reader.ReadOne(body);
  if (!one.ok()) Check(!one.status().message().empty());
  auto batch = reader.ReadBatch(body, rows);
  if (batch.ok()) Check(batch->size() == rows);
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
  CheckAnswer(KeyReader(), body, rows);
  CheckAnswer(PointerReader(), body, rows);
  sieve::classifier::ParsedTexts one = sieve::classifier::ParseClassifyBody(body, "content");
  CheckParsed(one, 1);
  Check(one.error || one.texts.size() == 1);
  CheckParsed(sieve::classifier::ParseBatchBody(body, "content", 64), 64);
  return 0;
}
