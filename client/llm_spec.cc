#include "client/llm_spec.h"

#include <algorithm>
#include <cctype>

#include "common/body_template.h"
#include "common/file_util.h"
#include "common/token_price.h"
#include "proto/constants.h"

namespace sieve {
namespace {

constexpr size_t kMaxLabels = 256;
constexpr uint32_t kMaxInvalidRetries = 10;

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::string> ReadBodyTemplateFlag(const std::string& flag) {
  if (flag.empty() || flag.front() != '@') return flag;
  Result<std::string> text = ReadFile(flag.substr(1));
  if (!text.ok()) {
    return Status::InvalidArgument("--body-template " + flag + ": " + text.status().message());
  }
  return text;
}

Status CheckLlmSpec(const std::vector<std::string>& header, const proto::JobSpec& spec) {
  if (!spec.body_template.empty()) {
    if (spec.body_template.size() > proto::kMaxStringBytes) {
      return Status::InvalidArgument("--body-template is larger than " +
                                     std::to_string(proto::kMaxStringBytes) + " bytes");
    }
    Result<BodyTemplate> compiled = BodyTemplate::Compile(spec.body_template, header);
    if (!compiled.ok()) return compiled.status();
  }
  if (spec.labels.size() > kMaxLabels) {
    return Status::InvalidArgument("--labels: at most " + std::to_string(kMaxLabels) + " labels");
  }
  std::vector<std::string> seen;
  for (const std::string& label : spec.labels) {
    if (label.empty() || label.size() > 200) {
      return Status::InvalidArgument("--labels: every label must be 1..200 bytes");
    }
    std::string lower = Lower(label);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
      return Status::InvalidArgument("--labels: '" + label + "' is given twice");
    }
    seen.push_back(std::move(lower));
  }
  if (spec.invalid_retries > kMaxInvalidRetries) {
    return Status::InvalidArgument("--invalid-retries must be in [0, " +
                                   std::to_string(kMaxInvalidRetries) + "]");
  }
  if (!spec.price.empty()) {
    Result<TokenPrice> price = ParseTokenPrice(spec.price);
    if (!price.ok()) return price.status();
  }
  if (!spec.max_cost.empty()) {
    Result<double> max_cost = ParseCostAmount(spec.max_cost);
    if (!max_cost.ok()) return max_cost.status();
    if (*max_cost > 0 && spec.price.empty()) {
      return Status::InvalidArgument(
          "--max-cost needs --price PROMPT,COMPLETION (the price per million tokens it is "
          "counted in)");
    }
  }
  return Status::Ok();
}

}  // namespace sieve
