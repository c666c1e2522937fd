// Layered configuration for the daemons (sieve-broker, sieve-collector, sieve-worker,
// sieve-classifier): every option can come from a command-line flag, a SIEVE_* environment
// variable or a TOML file, in that order of precedence, over the built-in defaults.
//
//   flags  >  environment (SIEVE_DATA_DIR, ...)  >  --config FILE / $SIEVE_CONFIG  >  defaults
//
// The file is read by CLI11's own TOML/INI reader: keys are the long option names without the
// dashes (`data-dir = "/var/lib/sieve/broker"`, `insecure = true`); an unknown key is an error,
// so typos do not pass silently. `--print-config` prints the effective configuration in the same
// format (so it can be saved as a config file) with the values of secret options masked.
//
// Not thread-safe (CLI11 apps are not); call from main before any thread starts.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sieve {

// The environment variable of the option with long name `long_name` ("data-dir" or
// "--data-dir"): "SIEVE_" + upper case, dashes as underscores ("SIEVE_DATA_DIR").
std::string ConfigEnvName(std::string_view long_name);

// True when the value of the option `long_name` is a secret that --print-config must mask: the
// name mentions a secret, password, token or (HTTP) header and does not end in -file or -path
// (key *paths* are not secrets; options holding key *contents* must be named `--...-secret...`).
bool IsSecretOption(std::string_view long_name);

// Parses argv into `app` in layers. Call after every option of `app` is added. It adds
// `--config FILE` (env SIEVE_CONFIG), `--print-config` and a man-style footer to `app`, and gives
// every option that has no environment variable yet the one ConfigEnvName() names.
// Returns std::nullopt when main should go on, else the exit code main should return: 0 after
// --help or --print-config (printed to stdout), non-zero after a bad flag, environment value or
// config file (the reason printed to stderr).
std::optional<int> ParseLayeredConfig(CLI::App& app, int argc, const char* const* argv);

// The effective configuration of the parsed `app` as TOML that --config accepts: one
// `name = value` line per configurable option (`# name =` when it has no value), secrets shown
// as "<masked>".
std::string EffectiveConfig(const CLI::App& app);

}  // namespace sieve
