// Secrets in HTTP headers: which headers are credentials, and secret references.
//
// A credential header (Authorization, Proxy-Authorization, X-Api-Key, Api-Key, or a name the
// job lists with --secret-header) holds a key; the broker keeps its value in memory only
// (broker/job_secrets.h). A secret reference, `${secret:NAME}` anywhere in a header's value,
// names a secret instead of carrying it: each worker replaces it with the value from its own
// store (worker/secret_store.h), so the key never passes through the client, the broker or the
// collector. NAME is 1-64 characters of [A-Za-z0-9_-]. A header whose value holds a reference
// carries no key, so it is stored like any header.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sieve {

// The name part of "Name: value", without surrounding blanks.
std::string_view HeaderNameOf(std::string_view header);

// True when `name` is one of the built-in credential header names or in `extra` (any case).
bool IsCredentialHeaderName(std::string_view name, const std::vector<std::string>& extra);

// True when `header` is a credential header whose value holds a key: its name is a credential
// name (above) and its value holds no secret reference.
bool IsLiteralCredential(std::string_view header, const std::vector<std::string>& extra);

// The names of the secret references in `text`, in order of appearance (repeats kept).
// InvalidArgument when a `${secret:` is not closed or its name is not valid; the message
// names the problem, never the text.
Result<std::vector<std::string>> SecretRefNames(std::string_view text);

// `text` with every reference replaced by `lookup(name)`. NotFound (naming the secret) when
// lookup returns nullopt; InvalidArgument as SecretRefNames.
Result<std::string> ExpandSecretRefs(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace sieve
