#include "common/header_secrets.h"

#include <array>
#include <cctype>

namespace sieve {
namespace {

constexpr std::string_view kRefOpen = "${secret:";
constexpr size_t kMaxNameBytes = 64;
constexpr std::array<std::string_view, 4> kCredentialNames = {
    "Authorization", "Proxy-Authorization", "X-Api-Key", "Api-Key"};

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Walks the references of `text`: calls `on_text` for literal spans and `on_ref` for names.
// Cost: O(text).
Status Walk(std::string_view text, const std::function<void(std::string_view)>& on_text,
            const std::function<Status(const std::string&)>& on_ref) {
  while (true) {
    size_t open = text.find(kRefOpen);
    if (open == std::string_view::npos) {
      on_text(text);
      return Status::Ok();
    }
    on_text(text.substr(0, open));
    text.remove_prefix(open + kRefOpen.size());
    size_t close = text.find('}');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("a ${secret:NAME} reference is not closed with '}'");
    }
    std::string name(text.substr(0, close));
    if (!ValidName(name)) {
      return Status::InvalidArgument(
          "a ${secret:NAME} reference has an invalid name (1-64 of A-Z a-z 0-9 _ -)");
    }
    SIEVE_RETURN_IF_ERROR(on_ref(name));
    text.remove_prefix(close + 1);
  }
}

}  // namespace

std::string_view HeaderNameOf(std::string_view header) {
  size_t colon = header.find(':');
  return Trim(header.substr(0, colon == std::string_view::npos ? header.size() : colon));
}

bool IsCredentialHeaderName(std::string_view name, const std::vector<std::string>& extra) {
  for (std::string_view known : kCredentialNames) {
    if (SameName(name, known)) return true;
  }
  for (const std::string& more : extra) {
    if (SameName(name, Trim(more))) return true;
  }
  return false;
}

bool IsLiteralCredential(std::string_view header, const std::vector<std::string>& extra) {
  if (!IsCredentialHeaderName(HeaderNameOf(header), extra)) return false;
  size_t colon = header.find(':');
  std::string_view value = colon == std::string_view::npos ? "" : header.substr(colon + 1);
  return value.find(kRefOpen) == std::string_view::npos;
}

Result<std::vector<std::string>> SecretRefNames(std::string_view text) {
  std::vector<std::string> names;
  Status s = Walk(
      text, [](std::string_view) {},
      [&](const std::string& name) {
        names.push_back(name);
        return Status::Ok();
      });
  if (!s.ok()) return s;
  return names;
}

Result<std::string> ExpandSecretRefs(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  Status s = Walk(
      text, [&](std::string_view literal) { out.append(literal); },
      [&](const std::string& name) {
        std::optional<std::string> value = lookup(name);
        if (!value) return Status::NotFound("secret '" + name + "'");
        out.append(*value);
        return Status::Ok();
      });
  if (!s.ok()) return s;
  return out;
}

}  // namespace sieve
