#include "client/endpoint_flags.h"

#include <algorithm>
#include <set>

#include "common/file_util.h"
#include "common/redact.h"

namespace sieve {
namespace {

constexpr size_t kMaxEndpoints = 64;  // worker/endpoint_pool.h

bool IsHttpUrl(const std::string& url) {
  const size_t scheme = url.rfind("http://", 0) == 0 ? 7 : url.rfind("https://", 0) == 0 ? 8 : 0;
  return scheme > 0 && url.size() > scheme;
}

std::string Trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const size_t last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

}  // namespace

Result<std::vector<std::string>> ParseEndpointsFile(const std::string& file_name,
                                                    const std::string& text) {
  std::vector<std::string> urls;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string line = Trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = file_name + ":" + std::to_string(line_no) + ": ";
    if (line.find_first_of(" \t") != std::string::npos) {
      return Status::InvalidArgument(where + "one URL per line (a comment starts the line with #)");
    }
    if (!IsHttpUrl(line)) {
      return Status::InvalidArgument(where + "'" + RedactUrl(line) +
                                     "' is not an http:// or https:// URL");
    }
    urls.push_back(line);
  }
  return urls;
}

Status ApplyEndpointFlags(const EndpointFlags& flags, proto::JobSpec* spec) {
  std::vector<std::string> urls;
  for (const std::string& url : flags.endpoints) {
    if (!IsHttpUrl(url)) {
      return Status::InvalidArgument("--endpoint must be an http:// or https:// URL, got '" +
                                     RedactUrl(url) + "'");
    }
    urls.push_back(url);
  }
  if (!flags.endpoints_file.empty()) {
    Result<std::string> text = ReadFile(flags.endpoints_file);
    if (!text.ok()) {
      return Status::InvalidArgument("--endpoints-file " + flags.endpoints_file + ": " +
                                     text.status().message());
    }
    Result<std::vector<std::string>> listed = ParseEndpointsFile(flags.endpoints_file, *text);
    if (!listed.ok()) return listed.status();
    if (listed->empty()) {
      return Status::InvalidArgument("--endpoints-file " + flags.endpoints_file +
                                     ": lists no endpoint");
    }
    urls.insert(urls.end(), listed->begin(), listed->end());
  }
  if (urls.empty()) return Status::Ok();
  if (urls.size() > kMaxEndpoints) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxEndpoints) + " endpoints");
  }
  std::set<std::string> seen;
  for (const std::string& url : urls) {
    if (!seen.insert(url).second) {
      return Status::InvalidArgument("endpoint '" + RedactUrl(url) + "' is given twice");
    }
  }
  spec->endpoint = urls.front();
  spec->endpoints = urls.size() >= 2 ? urls : std::vector<std::string>{};
  return Status::Ok();
}

}  // namespace sieve
