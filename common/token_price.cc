#include "common/token_price.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace sieve {
namespace {

bool ParseAmount(std::string_view text, double* out) {
  if (text.empty() || text.size() > 32) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  const std::string copy(text);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(*out) && *out >= 0;
}

}  // namespace

Result<TokenPrice> ParseTokenPrice(std::string_view text) {
  const size_t comma = text.find(',');
  TokenPrice price;
  if (comma == std::string_view::npos ||
      !ParseAmount(text.substr(0, comma), &price.prompt_per_million) ||
      !ParseAmount(text.substr(comma + 1), &price.completion_per_million)) {
    return Status::InvalidArgument("--price must be PROMPT,COMPLETION: two amounts per million "
                                   "tokens, e.g. 0.15,0.6 (got '" +
                                   std::string(text.substr(0, 40)) + "')");
  }
  return price;
}

Result<double> ParseCostAmount(std::string_view text, std::string_view flag) {
  double value = 0;
  if (!ParseAmount(text, &value)) {
    return Status::InvalidArgument(std::string(flag) +
                                   " must be an amount in --price's currency, e.g. 2.50 (got '" +
                                   std::string(text.substr(0, 40)) + "')");
  }
  return value;
}

}  // namespace sieve
