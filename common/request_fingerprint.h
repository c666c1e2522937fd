// The request fingerprint: the name of a rendered request for dedupe and the result cache
// (docs/architecture.md, "The rendered request and its fingerprint").
//
// A fingerprint is SHA-256 over a canonical, length-prefixed encoding of everything that
// decides the answer. Each field is written as its length (8 bytes, little-endian) and its
// bytes; a list is its element count (8 bytes) and then its elements. In this order:
//   "sieve-fp-v1", endpoint URL (as given), method, label_field, the labels sorted,
//   "batch" or "single", the headers (each as lower-cased name and value, sorted by name then
//   value), and last the rendered body.
// A credential header (Authorization, Proxy-Authorization, X-Api-Key, Api-Key, a
// --secret-header name, or any header whose value holds a ${secret:NAME} reference)
// contributes its name and the word "present", never its value: keys never reach the cache,
// not even hashed. Everything before the body is the same for every row of a job, so it is
// encoded once (Create) and each row costs one SHA-256 over ~100 bytes plus its body.
//
// CacheKey(namespace, fingerprint) is the result cache's key: SHA-256 of the namespace and
// the fingerprint, so one client's entries cannot be found with another client's namespace.
//
// Thread-safety: RequestFingerprinter is immutable after Create; Of() is safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sieve {

using Fingerprint = std::array<uint8_t, 32>;

// What, besides the body, decides a request's answer.
struct FingerprintInputs {
  std::string endpoint;                     // the URL as given
  std::string method = "POST";
  std::string label_field;
  std::vector<std::string> labels;          // any order; sorted here
  bool batch = false;                       // several rows per request
  std::vector<std::string> headers;         // "Name: value", unresolved (${secret:...} kept)
  std::vector<std::string> secret_headers;  // more credential header names (--secret-header)
};

class RequestFingerprinter {
 public:
  explicit RequestFingerprinter(const FingerprintInputs& inputs);

  // The fingerprint of the request whose rendered body is `body`. Cost: one SHA-256 over
  // prefix().size() + body.size() + 8 bytes; no allocation.
  Fingerprint Of(std::string_view body) const;
  // The canonical encoding of everything but the body (tests inspect it).
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
};

// SHA-256 of `data` (OpenSSL libcrypto).
Fingerprint Sha256(std::string_view data);
// SHA-256 of the length-prefixed namespace followed by the fingerprint.
Fingerprint CacheKey(std::string_view cache_namespace, const Fingerprint& fingerprint);

// Lower-case hex (64 characters), and back; FromHex fails (false) on anything else.
std::string ToHex(const Fingerprint& fingerprint);
bool FromHex(std::string_view hex, Fingerprint* out);

}  // namespace sieve
