#include "common/jsonl_row.h"

#include <nlohmann/json.hpp>

#include "common/csv_writer.h"
#include "common/json_escape.h"

namespace sieve {
namespace {

using Json = nlohmann::ordered_json;

std::string_view StripTerminator(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

Result<Json> ParseObject(std::string_view line) {
  Json object = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return Status::Corrupt("not a JSON object");
  return object;
}

std::string FieldOf(const Json& object, const std::string& key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, Json::error_handler_t::replace);
}

// `text` as a JSON string literal; invalid UTF-8 becomes U+FFFD.
void AppendString(std::string_view text, std::string* out) {
  size_t bad = 0;
  if (AppendJsonString(text, out, &bad)) return;
  out->append(Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

Status JsonlToFields(std::string_view line, std::span<const std::string> columns,
                     std::span<const std::string> selected, std::vector<std::string>* fields,
                     std::string* body) {
  line = StripTerminator(line);
  Result<Json> object = ParseObject(line);
  if (!object.ok()) return object.status();
  fields->clear();
  for (const std::string& column : columns) fields->push_back(FieldOf(*object, column));
  if (body == nullptr) return Status::Ok();
  if (selected.empty()) {
    body->assign(line);
    return Status::Ok();
  }
  Json chosen = Json::object();
  for (const std::string& key : selected) {
    auto it = object->find(key);
    if (it != object->end()) chosen[key] = *it;
  }
  *body = chosen.dump(-1, ' ', false, Json::error_handler_t::replace);
  return Status::Ok();
}

Status AppendJsonlLabelled(std::string_view line, std::string_view key, std::string_view label,
                           std::string* out) {
  line = StripTerminator(line);
  Result<Json> object = ParseObject(line);
  if (!object.ok()) return object.status();
  if (object->contains(std::string(key))) {
    (*object)[std::string(key)] = std::string(label);
    out->append(object->dump(-1, ' ', false, Json::error_handler_t::replace));
    out->push_back('\n');
    return Status::Ok();
  }
  // Splice before the closing brace: the input's bytes stay as they were.
  size_t close = line.find_last_of('}');
  std::string_view head = line.substr(0, close);
  size_t last = head.find_last_not_of(" \t\r\n");
  const bool empty_object = last != std::string_view::npos && head[last] == '{';
  out->append(head);
  if (!empty_object) out->push_back(',');
  AppendString(key, out);
  out->push_back(':');
  AppendString(label, out);
  out->append(line.substr(close));
  out->push_back('\n');
  return Status::Ok();
}

void AppendFieldsAsJsonl(std::span<const std::string> columns,
                         std::span<const std::string_view> fields, std::string_view key,
                         std::string_view label, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < columns.size() && i < fields.size(); ++i) {
    if (columns[i] == key) continue;  // the label replaces a column of the same name
    AppendString(columns[i], out);
    out->push_back(':');
    AppendString(fields[i], out);
    out->push_back(',');
  }
  AppendString(key, out);
  out->push_back(':');
  AppendString(label, out);
  out->append("}\n");
}

Status AppendJsonlAsCsv(std::string_view line, std::span<const std::string> columns,
                        std::string_view label, std::string* out) {
  std::vector<std::string> fields;
  SIEVE_RETURN_IF_ERROR(JsonlToFields(line, columns, {}, &fields, nullptr));
  for (const std::string& field : fields) {
    AppendCsvField(field, out);
    out->push_back(',');
  }
  AppendCsvField(label, out);
  out->push_back('\n');
  return Status::Ok();
}

}  // namespace sieve
