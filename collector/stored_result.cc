#include "collector/stored_result.h"

#include <nlohmann/json.hpp>

namespace sieve {
namespace {

constexpr size_t kLengthBytes = 8;

}  // namespace

std::string EncodeStoredResult(const StoredResult& result) {
  nlohmann::json errors = nlohmann::json::array();
  for (const StoredRowError& e : result.errors) errors.push_back({e.row, e.reason});
  nlohmann::json meta = {{"first_row", result.first_row}, {"rows", result.rows},
                         {"error_rows", result.error_rows}, {"retries", result.retries},
                         {"attempt", result.attempt}, {"errors", std::move(errors)}};
  if (result.prompt_tokens + result.completion_tokens + result.answers_invalid +
          result.rows_invalid > 0) {
    meta["prompt_tokens"] = result.prompt_tokens;
    meta["completion_tokens"] = result.completion_tokens;
    meta["answers_invalid"] = result.answers_invalid;
    meta["rows_invalid"] = result.rows_invalid;
  }
  if (result.cached_rows > 0) meta["cached_rows"] = result.cached_rows;
  std::string meta_text = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(kLengthBytes + meta_text.size() + result.labelled.size());
  uint64_t n = meta_text.size();
  for (size_t i = 0; i < kLengthBytes; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += meta_text;
  out += result.labelled;
  return out;
}

Result<StoredResult> DecodeStoredResult(std::string_view bytes) {
  if (bytes.size() < kLengthBytes) return Status::Corrupt("stored result shorter than its header");
  uint64_t n = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  if (n > bytes.size() - kLengthBytes) return Status::Corrupt("stored result metadata truncated");
  nlohmann::json meta =
      nlohmann::json::parse(bytes.substr(kLengthBytes, n), nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object()) return Status::Corrupt("stored result metadata is not a JSON object");
  StoredResult result;
  try {
    result.first_row = meta.at("first_row").get<uint64_t>();
    result.rows = meta.at("rows").get<uint64_t>();
    result.error_rows = meta.at("error_rows").get<uint64_t>();
    result.retries = meta.at("retries").get<uint64_t>();
    result.attempt = meta.at("attempt").get<uint32_t>();
    result.prompt_tokens = meta.value("prompt_tokens", uint64_t{0});
    result.completion_tokens = meta.value("completion_tokens", uint64_t{0});
    result.answers_invalid = meta.value("answers_invalid", uint64_t{0});
    result.rows_invalid = meta.value("rows_invalid", uint64_t{0});
    result.cached_rows = meta.value("cached_rows", uint64_t{0});
    for (const auto& e : meta.at("errors")) {
      result.errors.push_back({e.at(0).get<uint64_t>(), e.at(1).get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(std::string("stored result metadata: ") + e.what());
  }
  result.labelled.assign(bytes.substr(kLengthBytes + n));
  return result;
}

}  // namespace sieve
