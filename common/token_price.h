// TokenPrice: what a job's tokens cost (--price PROMPT,COMPLETION, per million tokens).
//
// The price travels as its text ("0.15,0.6") in the job spec, so every process that shows a cost
// (collector summary, sieve status) parses the same string the user typed.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace sieve {

struct TokenPrice {
  double prompt_per_million = 0;
  double completion_per_million = 0;

  // The cost of `prompt` and `completion` tokens, in the price's currency.
  double Cost(uint64_t prompt, uint64_t completion) const {
    return (static_cast<double>(prompt) * prompt_per_million +
            static_cast<double>(completion) * completion_per_million) /
           1e6;
  }
};

// "P,C" with P and C finite decimals >= 0 ("0.15,0.6", "3,15"). InvalidArgument naming --price
// otherwise.
Result<TokenPrice> ParseTokenPrice(std::string_view text);

// An amount of money such as a budget ("2.50", "0"): a finite decimal >= 0. InvalidArgument
// naming `flag` otherwise.
Result<double> ParseCostAmount(std::string_view text, std::string_view flag = "--max-cost");

}  // namespace sieve
