#include "common/body_template.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/json_escape.h"

namespace sieve {
namespace {

using Json = nlohmann::ordered_json;  // keeps the template's key order

std::string ColumnList(const std::vector<std::string>& header) {
  std::string list;
  for (const std::string& c : header) list += (list.empty() ? "" : ", ") + c;
  return list;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Builds the piece list while walking the parsed template.
class Compiler {
 public:
  struct Slot {
    std::string literal;
    std::string name;  // empty: the final literal
  };
  explicit Compiler(std::vector<Slot>* slots) : slots_(slots) {}

  Status Walk(const Json& value) {
    switch (value.type()) {
      case Json::value_t::object: {
        literal_.push_back('{');
        bool first = true;
        for (const auto& [key, member] : value.items()) {
          if (!first) literal_.push_back(',');
          first = false;
          SIEVE_RETURN_IF_ERROR(String(key));
          literal_.push_back(':');
          SIEVE_RETURN_IF_ERROR(Walk(member));
        }
        literal_.push_back('}');
        return Status::Ok();
      }
      case Json::value_t::array: {
        literal_.push_back('[');
        for (size_t i = 0; i < value.size(); ++i) {
          if (i > 0) literal_.push_back(',');
          SIEVE_RETURN_IF_ERROR(Walk(value[i]));
        }
        literal_.push_back(']');
        return Status::Ok();
      }
      case Json::value_t::string:
        return String(value.get_ref<const std::string&>());
      default:
        literal_ += value.dump();
        return Status::Ok();
    }
  }

  void Finish() { slots_->push_back(Slot{std::move(literal_), ""}); }

 private:
  // A JSON string: literal runs escaped, `{{name}}` cut out as slots.
  Status String(std::string_view text) {
    literal_.push_back('"');
    size_t bad = 0;
    while (true) {
      const size_t open = text.find("{{");
      if (open == std::string_view::npos) break;
      const size_t close = text.find("}}", open + 2);
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("--body-template: '{{' without a closing '}}' in \"" +
                                       std::string(text.substr(0, 80)) + "\"");
      }
      const std::string_view name = Trim(text.substr(open + 2, close - open - 2));
      if (name.empty()) return Status::InvalidArgument("--body-template: empty placeholder {{}}");
      if (!AppendJsonEscaped(text.substr(0, open), &literal_, &bad)) {
        return Status::InvalidArgument("--body-template is not valid UTF-8");
      }
      slots_->push_back(Slot{std::move(literal_), std::string(name)});
      literal_.clear();
      text.remove_prefix(close + 2);
    }
    if (!AppendJsonEscaped(text, &literal_, &bad)) {
      return Status::InvalidArgument("--body-template is not valid UTF-8");
    }
    literal_.push_back('"');
    return Status::Ok();
  }

  std::vector<Slot>* slots_;
  std::string literal_;
};

}  // namespace

Result<BodyTemplate> BodyTemplate::Compile(std::string_view text,
                                           const std::vector<std::string>& header) {
  Json parsed;
  try {
    parsed = Json::parse(text);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("--body-template is not valid JSON: ") + e.what());
  }
  std::vector<Compiler::Slot> slots;
  Compiler compiler(&slots);
  SIEVE_RETURN_IF_ERROR(compiler.Walk(parsed));
  compiler.Finish();
  std::vector<Piece> pieces;
  std::vector<std::string> columns;
  for (Compiler::Slot& slot : slots) {
    Piece piece{std::move(slot.literal), kNoColumn};
    if (!slot.name.empty()) {
      auto it = std::find(header.begin(), header.end(), slot.name);
      if (it == header.end()) {
        return Status::InvalidArgument("--body-template names column '" + slot.name +
                                       "', which the input does not have (columns: " +
                                       ColumnList(header) + ")");
      }
      piece.column = static_cast<size_t>(it - header.begin());
      if (std::find(columns.begin(), columns.end(), slot.name) == columns.end()) {
        columns.push_back(slot.name);
      }
    }
    pieces.push_back(std::move(piece));
  }
  return BodyTemplate(std::move(pieces), std::move(columns), header);
}

size_t BodyTemplate::slots() const {
  return static_cast<size_t>(std::count_if(pieces_.begin(), pieces_.end(),
                                           [](const Piece& p) { return p.column != kNoColumn; }));
}

Status BodyTemplate::Append(std::span<const std::string> row, std::string* out) const {
  const size_t start = out->size();
  for (const Piece& piece : pieces_) {
    out->append(piece.literal);
    if (piece.column == kNoColumn) continue;
    if (piece.column >= row.size()) {
      out->resize(start);
      return Status::InvalidArgument("row has " + std::to_string(row.size()) +
                                     " fields, no column '" + header_[piece.column] + "'");
    }
    size_t bad = 0;
    if (!AppendJsonEscaped(row[piece.column], out, &bad)) {
      out->resize(start);
      return Status::InvalidArgument("invalid UTF-8 in column '" + header_[piece.column] +
                                     "' at byte " + std::to_string(bad));
    }
  }
  return Status::Ok();
}

}  // namespace sieve
