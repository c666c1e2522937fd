// Redaction of secrets in text that is logged or shown: URLs may carry credentials in their
// userinfo (`https://user:pass@host/`) or query (`?api_key=...`). Everything Sieve logs about
// an endpoint goes through RedactUrl.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sieve {

// `url` with its userinfo replaced by "<redacted>" and every query value by "<redacted>"
// (keys kept, so the log still says which parameters were set). Text that is not a URL comes
// back unchanged.
std::string RedactUrl(std::string_view url);

}  // namespace sieve
