// The LLM options of a job (--body-template, --labels, --invalid-retries, --price): reading
// them from the command line and checking them against the input before anything is sent
// (design invariant 9: an error that can be known early is never paid for). docs/llm.md.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

// The text of a --body-template flag: the flag itself, or the file's contents for "@path".
// InvalidArgument naming the file when it cannot be read.
Result<std::string> ReadBodyTemplateFlag(const std::string& flag);

// Checks the job's LLM options against the input's header: the template compiles (JSON, its
// placeholders name existing columns) and fits a message; labels are non-empty, unique
// (case-insensitively) and at most 256; invalid_retries <= 10; the price parses; a max_cost
// parses and comes with a price (docs/llm.md, "Budgets").
// InvalidArgument naming the flag otherwise (exit 2).
Status CheckLlmSpec(const std::vector<std::string>& header, const proto::JobSpec& spec);

}  // namespace sieve
