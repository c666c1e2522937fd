#include "common/redact.h"

namespace sieve {
namespace {

constexpr std::string_view kRedacted = "<redacted>";

// "a=1&b=2" -> "a=<redacted>&b=<redacted>" (a parameter without '=' is kept).
std::string RedactQuery(std::string_view query) {
  std::string out;
  while (true) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    size_t eq = param.find('=');
    out += eq == std::string_view::npos ? param : param.substr(0, eq + 1);
    if (eq != std::string_view::npos) out += kRedacted;
    if (amp == std::string_view::npos) return out;
    out += '&';
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t authority_start = scheme + 3;
  size_t authority_end = url.find_first_of("/?#", authority_start);
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  std::string out(url.substr(0, authority_start));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    out += kRedacted;
    out += authority.substr(at);
  } else {
    out += authority;
  }
  if (authority_end == std::string_view::npos) return out;
  std::string_view rest = url.substr(authority_end);
  size_t fragment = rest.find('#');
  std::string_view before_fragment = rest.substr(0, fragment);
  size_t query = before_fragment.find('?');
  out += before_fragment.substr(0, query);
  if (query != std::string_view::npos) {
    out += '?';
    out += RedactQuery(before_fragment.substr(query + 1));
  }
  return out;  // the fragment is never sent to a server; dropped
}

}  // namespace sieve
