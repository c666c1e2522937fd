// SecretStore: the secrets a worker substitutes for `${secret:NAME}` references in a job's
// headers (common/header_secrets.h), so a key lives only on the workers that use it.
//
// Sources, read once at start: `--secrets-file FILE` (lines `NAME=VALUE`; blank lines and
// lines starting with '#' ignored), then the environment, `SIEVE_SECRET_<NAME>` (NAME
// upper-cased, '-' as '_'), which wins over the file; this is what a Kubernetes Secret
// (secretKeyRef) and systemd (LoadCredential= + the file it makes) provide.
// The file must not be readable or writable by group or others (as ssh requires of a private
// key): Load refuses it, naming the chmod to run. No value is ever logged or put in an error.
//
// Thread-safety: immutable after Load; Lookup from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace sieve {

class SecretStore {
 public:
  // `file` may be empty (no file). `environ` is the process environment (NAME=VALUE strings).
  static Result<SecretStore> Load(const std::string& file, char** environ);

  // The secret called `name`, or nullopt.
  std::optional<std::string> Lookup(const std::string& name) const;
  // `headers` with every reference replaced. NotFound naming the first missing secret (its
  // name in *missing); InvalidArgument for a malformed reference.
  Result<std::vector<std::string>> Resolve(const std::vector<std::string>& headers,
                                           std::string* missing) const;
  size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, std::string> by_key_;  // by SecretKey(name)
};

// "openai-prod" -> "OPENAI_PROD": how a name is compared (and spelt in the environment).
std::string SecretKey(const std::string& name);

}  // namespace sieve
