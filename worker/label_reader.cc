#include "worker/label_reader.h"

namespace sieve {
namespace {

using Json = nlohmann::json;

// "/" + key with '~' and '/' escaped as RFC 6901 asks.
std::string PointerForKey(const std::string& key) {
  std::string pointer = "/";
  for (char c : key) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
  return pointer;
}

Result<Json> ParseJson(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    std::string snippet(body.substr(0, 60));
    for (char& c : snippet) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return Status::Corrupt("response is not JSON: '" + snippet + (body.size() > 60 ? "...'" : "'"));
  }
  return parsed;
}

// Adds the answer's OpenAI-shaped usage, if any, to *usage.
void AddUsage(const Json& answer, TokenUsage* usage) {
  if (usage == nullptr || !answer.is_object()) return;
  auto it = answer.find("usage");
  if (it == answer.end() || !it->is_object()) return;
  auto count = [&](const char* key) -> uint64_t {
    auto v = it->find(key);
    return v != it->end() && v->is_number_unsigned() ? v->get<uint64_t>() : 0;
  };
  usage->prompt += count("prompt_tokens");
  usage->completion += count("completion_tokens");
}

}  // namespace

Result<LabelReader> LabelReader::Create(const std::string& label_field) {
  if (label_field.empty()) return Status::InvalidArgument("--label-field is empty");
  const std::string pointer =
      label_field.front() == '/' ? label_field : PointerForKey(label_field);
  try {
    return LabelReader(Json::json_pointer(pointer), label_field);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument("--label-field '" + label_field +
                                   "' is not a valid JSON pointer: " + e.what());
  }
}

Result<std::string> LabelReader::LabelOf(const Json& answer) const {
  const Json* value = nullptr;
  try {
    if (answer.contains(pointer_)) value = &answer.at(pointer_);
  } catch (const Json::exception&) {
    value = nullptr;  // e.g. a non-numeric index into an array: the field is not there
  }
  if (value == nullptr) return Status::Corrupt("no field '" + name_ + "' in response");
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number()) return value->dump();
  return Status::Corrupt("field '" + name_ + "' is " + value->type_name() +
                         ", not a string or number");
}

Result<std::string> LabelReader::ReadOne(std::string_view body, TokenUsage* usage) const {
  Result<Json> answer = ParseJson(body);
  if (!answer.ok()) return answer.status();
  AddUsage(*answer, usage);
  return LabelOf(*answer);
}

Result<std::vector<Result<std::string>>> LabelReader::ReadBatch(std::string_view body,
                                                                size_t rows,
                                                                TokenUsage* usage) const {
  Result<Json> answer = ParseJson(body);
  if (!answer.ok()) return answer.status();
  AddUsage(*answer, usage);
  if (!answer->is_array()) {
    return Status::Corrupt(std::string("batch answer is ") + answer->type_name() +
                           ", not an array");
  }
  if (answer->size() != rows) {
    return Status::Corrupt("batch answer has " + std::to_string(answer->size()) +
                           " elements for " + std::to_string(rows) + " rows");
  }
  std::vector<Result<std::string>> labels;
  labels.reserve(rows);
  for (const Json& element : *answer) {
    AddUsage(element, usage);
    if (element.is_string()) {
      labels.emplace_back(element.get<std::string>());
    } else if (element.is_number()) {
      labels.emplace_back(element.dump());
    } else {
      labels.push_back(LabelOf(element));
    }
  }
  return labels;
}

}  // namespace sieve
