// libFuzzer target for the --body-template renderer (common/body_template.h): whatever bytes a
// CSV field holds, and whatever the template, the renderer yields valid JSON or an error.
//
// DESIGN: the input is split at the first 0x00 byte: before it, the template text (tried as
// it is); after it, the row's fields separated by 0x01 bytes (any other bytes, invalid UTF-8
// included). Besides the input's own template, three fixed templates are rendered with the
// same fields (string values, keys, several placeholders in one string, a nested array).
// Invariants beyond "no crash, no sanitizer report": a template that compiles renders each
// row either to a body nlohmann::json parses (and, for the fixed templates, whose strings hold
// exactly the fields' text), or to an InvalidArgument error that leaves the output untouched;
// the error happens exactly when a used field is not valid UTF-8.
// Seeds: tests/fuzz/corpus/body_template/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/body_template.h"
#include "common/utf8.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const std::vector<std::string> kHeader = {"a", "b", "c"};

std::vector<std::string> SplitFields(std::string_view bytes) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t i = 0; i <= bytes.size(); ++i) {
    if (i == bytes.size() || bytes[i] == '\x01') {
      fields.emplace_back(bytes.substr(start, i - start));
      start = i + 1;
    }
  }
  while (fields.size() < kHeader.size()) fields.emplace_back();
  fields.resize(kHeader.size());
  return fields;
}

// Renders `row` through `t`; returns the parsed body, or null on a (checked) per-row error.
nlohmann::json RenderChecked(const sieve::BodyTemplate& t, const std::vector<std::string>& row) {
  std::string out = "prefix";
  sieve::Status s = t.Append(row, &out);
  bool valid_fields = true;
  for (const std::string& column : t.columns()) {
    for (size_t i = 0; i < kHeader.size(); ++i) {
      if (kHeader[i] == column && !sieve::IsValidUtf8(row[i])) valid_fields = false;
    }
  }
  Check(s.ok() == valid_fields);
  if (!s.ok()) {
    Check(s.code() == sieve::Status::Code::kInvalidArgument);
    Check(out == "prefix");
    return nullptr;
  }
  Check(out.rfind("prefix", 0) == 0);
  nlohmann::json parsed =
      nlohmann::json::parse(out.substr(6), nullptr, /*allow_exceptions=*/false);
  Check(!parsed.is_discarded());
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view template_text = input.substr(0, split);
  const std::vector<std::string> row =
      SplitFields(split == std::string_view::npos ? std::string_view() : input.substr(split + 1));

  sieve::Result<sieve::BodyTemplate> own = sieve::BodyTemplate::Compile(template_text, kHeader);
  if (own.ok()) {
    RenderChecked(*own, row);
  } else {
    Check(own.status().code() == sieve::Status::Code::kInvalidArgument);
  }

  static const sieve::BodyTemplate fixed =
      *sieve::BodyTemplate::Compile(R"({"x":[{"v":"{{a}}"}, 1, null, "{{b}}{{c}}-{{a}}"]})", kHeader);
  nlohmann::json body = RenderChecked(fixed, row);
  if (!body.is_null()) {
    Check(body["x"][0]["v"].get<std::string>() == row[0]);
    Check(body["x"][3].get<std::string>() == row[1] + row[2] + "-" + row[0]);
  }
  static const sieve::BodyTemplate keyed =
      *sieve::BodyTemplate::Compile(R"({"k{{c}}": "\u0000\"{{c}}\\"})", kHeader);
  body = RenderChecked(keyed, row);
  if (!body.is_null()) {
    Check(body.at("k" + row[2]).get<std::string>() == std::string(1, '\0') + "\"" + row[2] + "\\");
  }
  return 0;
}
