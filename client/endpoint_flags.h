// A job's endpoints from the command line: `--endpoint URL` (repeatable) and
// `--endpoints-file F` (one URL per line; blank lines and `#` comments allowed). Two or more
// make an endpoint pool (docs/architecture.md, "The endpoint pool"): the job's `endpoint` is
// the first (its canonical URL, e.g. for the result cache's fingerprint) and `endpoints`
// holds them all.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proto/message_parts.h"

namespace sieve {

struct EndpointFlags {
  std::vector<std::string> endpoints;  // --endpoint, in the order given
  std::string endpoints_file;          // --endpoints-file; empty: none
};

// The URLs of an endpoints file's text: one per line, surrounding blanks trimmed, blank
// lines and lines starting with '#' skipped. InvalidArgument "FILE:LINE: reason" for a line
// that is not an http:// or https:// URL (or holds blanks inside).
Result<std::vector<std::string>> ParseEndpointsFile(const std::string& file_name,
                                                    const std::string& text);

// Sets spec->endpoint and spec->endpoints from the flags: the --endpoint URLs, then the
// file's. InvalidArgument naming the flag (or FILE:LINE) when a URL is not http(s), one is
// given twice, there are more than 64, or the file cannot be read. With no URL at all, the
// spec is left as it is (`sieve run` then starts the bundled classifier).
Status ApplyEndpointFlags(const EndpointFlags& flags, proto::JobSpec* spec);

}  // namespace sieve
