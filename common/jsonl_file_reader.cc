// DESIGN: see jsonl_file_reader.h.
#include "common/jsonl_file_reader.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

namespace sieve {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Validates without building: counts depth, remembers the parser's reason on failure.
class AcceptObject final : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Deeper(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Shallower(); }
  bool start_array(std::size_t) override { return Deeper(); }
  bool end_array() override { return Shallower(); }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error ..."
    const size_t colon = what.find(": ");
    reason_ = "invalid JSON at byte " + std::to_string(position) + ": " +
              (colon == std::string::npos ? what : what.substr(colon + 2));
    return false;
  }

  const std::string& reason() const { return reason_; }

 private:
  bool Deeper() {
    if (++depth_ <= kMaxJsonDepth) return true;
    reason_ = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  bool Shallower() {
    --depth_;
    return true;
  }

  size_t depth_ = 0;
  std::string reason_;
};

}  // namespace

Status CheckJsonObjectLine(std::string_view line) {
  size_t first = 0;
  while (first < line.size() && (IsBlank(line[first]) || line[first] == '\n')) ++first;
  if (first == line.size()) return Status::Corrupt("empty line where a JSON object was expected");
  if (line[first] != '{') {
    std::string shown = line[first] >= 0x20 && line[first] < 0x7f
                            ? "'" + std::string(1, line[first]) + "'"
                            : "byte " + std::to_string(static_cast<unsigned char>(line[first]));
    return Status::Corrupt("not a JSON object: the line starts with " + shown +
                           "; each line must hold one object, e.g. {\"website\": \"...\"}");
  }
  // nlohmann stops at a NUL byte as at the end of input; raw NUL is never valid JSON.
  const size_t nul = line.find('\0');
  if (nul != std::string_view::npos) {
    return Status::Corrupt("invalid JSON at byte " + std::to_string(nul + 1) + ": a NUL byte");
  }
  AcceptObject sax;
  const bool ok = nlohmann::json::sax_parse(line.begin(), line.end(), &sax);
  if (ok) return Status::Ok();
  return Status::Corrupt(sax.reason().empty() ? "invalid JSON" : sax.reason());
}

JsonlFileReader::JsonlFileReader(std::unique_ptr<CsvSource> source, const CsvLimits& limits)
    : source_(std::move(source)), limits_(limits) {}

Status JsonlFileReader::Error(Status::Code code, uint64_t line, const std::string& reason) const {
  std::string message = source_->name() + ":" + std::to_string(line) + ": " + reason;
  return code == Status::Code::kTooLarge ? Status::TooLarge(std::move(message))
                                         : Status::Corrupt(std::move(message));
}

Status JsonlFileReader::ReadBlock() {
  buf_.erase(0, line_start_);
  searched_ -= line_start_;
  line_start_ = 0;
  const size_t old_size = buf_.size();
  buf_.resize(old_size + limits_.block_bytes);
  size_t got = 0;
  while (got < limits_.block_bytes) {
    Result<size_t> n = source_->Read(buf_.data() + old_size + got, limits_.block_bytes - got);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      eof_ = true;
      break;
    }
    got += *n;
  }
  buf_.resize(old_size + got);
  if (!started_) {
    started_ = true;
    if (std::string_view(buf_).starts_with(kUtf8Bom)) {
      buf_.erase(0, kUtf8Bom.size());
      searched_ = 0;
    }
  }
  return Status::Ok();
}

// Loop: one line per turn; a turn either finds a line feed in buf_, reads a block, or ends.
Result<bool> JsonlFileReader::Next(CsvRawRecord* record) {
  while (true) {
    const char* base = buf_.data();
    const void* nl = searched_ < buf_.size()
                         ? std::memchr(base + searched_, '\n', buf_.size() - searched_)
                         : nullptr;
    size_t end = 0;  // one past the line's terminator
    if (nl != nullptr) {
      end = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
    } else {
      searched_ = buf_.size();
      if (searched_ - line_start_ > limits_.max_record_bytes) {
        return Error(Status::Code::kTooLarge, line_ + 1,
                     "line longer than " + std::to_string(limits_.max_record_bytes) + " bytes");
      }
      if (!eof_) {
        SIEVE_RETURN_IF_ERROR(ReadBlock());
        continue;
      }
      if (line_start_ == buf_.size()) return false;
      buf_.push_back('\n');  // a last line without terminator
      end = buf_.size();
    }
    const size_t start = line_start_;
    line_start_ = searched_ = end;
    ++line_;
    if (end - start > limits_.max_record_bytes) {
      return Error(Status::Code::kTooLarge, line_,
                   "line longer than " + std::to_string(limits_.max_record_bytes) + " bytes");
    }
    std::string_view bytes(buf_.data() + start, end - start);
    std::string_view content = bytes.substr(0, bytes.size() - 1);
    if (content.ends_with('\r')) content.remove_suffix(1);
    size_t first = 0;
    while (first < content.size() && IsBlank(content[first])) ++first;
    if (first == content.size()) continue;  // a blank line
    Status valid = CheckJsonObjectLine(content);
    if (!valid.ok()) return Error(valid.code(), line_, valid.message());
    record->bytes = bytes;
    record->line = line_;
    record->field_count = 0;
    return true;
  }
}

}  // namespace sieve
