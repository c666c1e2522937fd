#include "common/request_fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>

#include "common/header_secrets.h"

namespace sieve {
namespace {

constexpr std::string_view kVersionTag = "sieve-fp-v1";
constexpr std::string_view kPresent = "present";

void AppendLength(uint64_t n, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

void AppendField(std::string_view field, std::string* out) {
  AppendLength(field.size(), out);
  out->append(field);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// (lower-cased name, value or "present") of every header, sorted.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const FingerprintInputs& in) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& header : in.headers) {
    std::string_view name = HeaderNameOf(header);
    size_t colon = header.find(':');
    std::string_view value =
        colon == std::string::npos ? std::string_view() : Trim(std::string_view(header).substr(colon + 1));
    const bool credential = IsCredentialHeaderName(name, in.secret_headers) ||
                            value.find("${secret:") != std::string_view::npos;
    out.emplace_back(Lower(name), credential ? std::string(kPresent) : std::string(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

Fingerprint Digest(std::string_view a, std::string_view b, std::string_view c) {
  Fingerprint out{};
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned int size = 0;
  // Fails only when memory is exhausted; the all-zero value it then returns is refused as a
  // cache key by the collector (result_cache.h), so a failure can never alias two requests.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), c.data(), c.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1) {
    return Fingerprint{};
  }
  return out;
}

}  // namespace

RequestFingerprinter::RequestFingerprinter(const FingerprintInputs& in) {
  AppendField(kVersionTag, &prefix_);
  AppendField(in.endpoint, &prefix_);
  AppendField(in.method, &prefix_);
  AppendField(in.label_field, &prefix_);
  std::vector<std::string> labels = in.labels;
  std::sort(labels.begin(), labels.end());
  AppendLength(labels.size(), &prefix_);
  for (const std::string& label : labels) AppendField(label, &prefix_);
  AppendField(in.batch ? "batch" : "single", &prefix_);
  std::vector<std::pair<std::string, std::string>> headers = CanonicalHeaders(in);
  AppendLength(headers.size(), &prefix_);
  for (const auto& [name, value] : headers) {
    AppendField(name, &prefix_);
    AppendField(value, &prefix_);
  }
}

Fingerprint RequestFingerprinter::Of(std::string_view body) const {
  char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((uint64_t{body.size()} >> (8 * i)) & 0xff);
  return Digest(prefix_, std::string_view(length, 8), body);
}

Fingerprint Sha256(std::string_view data) { return Digest(data, {}, {}); }

Fingerprint CacheKey(std::string_view cache_namespace, const Fingerprint& fingerprint) {
  std::string ns;
  AppendField(cache_namespace, &ns);
  return Digest(ns, std::string_view(reinterpret_cast<const char*>(fingerprint.data()),
                                     fingerprint.size()),
                {});
}

std::string ToHex(const Fingerprint& fingerprint) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : fingerprint) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

bool FromHex(std::string_view hex, Fingerprint* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace sieve
