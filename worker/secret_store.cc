#include "worker/secret_store.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/file_util.h"
#include "common/header_secrets.h"

namespace sieve {
namespace {

constexpr std::string_view kEnvPrefix = "SIEVE_SECRET_";

Status CheckPrivate(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return Status::NotFound("cannot read secrets file " + file + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) == 0) return Status::Ok();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return Status::PermissionDenied("secrets file " + file + " has mode " + mode +
                                  ": group or others can read or change it. Run `chmod 600 " +
                                  file + "`");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string SecretKey(const std::string& name) {
  std::string key = name;
  for (char& c : key) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

Result<SecretStore> SecretStore::Load(const std::string& file, char** environ) {
  SecretStore store;
  if (!file.empty()) {
    SIEVE_RETURN_IF_ERROR(CheckPrivate(file));
    Result<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    std::string_view rest = *text;
    for (int line = 1; !rest.empty(); ++line) {
      size_t end = rest.find('\n');
      std::string_view raw = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      std::string_view trimmed = Trim(raw);
      if (trimmed.empty() || trimmed.front() == '#') continue;
      size_t eq = raw.find('=');
      std::string name(eq == std::string_view::npos ? "" : Trim(raw.substr(0, eq)));
      if (name.empty() || !SecretRefNames("${secret:" + name + "}").ok()) {
        return Status::InvalidArgument("secrets file " + file + " line " + std::to_string(line) +
                                       ": expected NAME=VALUE (NAME of A-Z a-z 0-9 _ -)");
      }
      store.by_key_[SecretKey(name)] = std::string(raw.substr(eq + 1));
    }
  }
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (entry.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == kEnvPrefix.size()) continue;
    std::string name(entry.substr(kEnvPrefix.size(), eq - kEnvPrefix.size()));
    store.by_key_[SecretKey(name)] = std::string(entry.substr(eq + 1));
  }
  return store;
}

std::optional<std::string> SecretStore::Lookup(const std::string& name) const {
  auto it = by_key_.find(SecretKey(name));
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<std::string>> SecretStore::Resolve(const std::vector<std::string>& headers,
                                                      std::string* missing) const {
  std::vector<std::string> out;
  for (const std::string& header : headers) {
    Result<std::vector<std::string>> names = SecretRefNames(header);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (!Lookup(name)) {
        if (missing != nullptr) *missing = name;
        return Status::NotFound("this worker has no secret '" + name + "' (--secrets-file, or $" +
                                std::string(kEnvPrefix) + SecretKey(name) + ")");
      }
    }
    Result<std::string> expanded =
        ExpandSecretRefs(header, [this](const std::string& n) { return Lookup(n); });
    if (!expanded.ok()) return expanded.status();
    out.push_back(std::move(*expanded));
  }
  return out;
}

}  // namespace sieve
