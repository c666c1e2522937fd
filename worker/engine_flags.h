// Command-line flags for EngineOptions, shared by every program that embeds the HTTP engine
// (sieve-label-file: all of them; sieve-worker: --ca-file, the rest comes with each job), so
// the flags mean the same everywhere.
//
// Thread-safety: call while building the command line, on one thread.
#pragma once

#include <CLI/CLI.hpp>

#include "worker/engine_options.h"

namespace sieve {

// Adds --endpoint, --concurrency, --adaptive, --batch-size, --fields, --header, --label-field,
// --error-label, --timeout-ms, --connect-timeout-ms, --retries, ... to `app`, writing into
// `options` when parsed. `options` must outlive app.parse(). --header values are secrets:
// never printed (not even by --help, which shows no default for them).
void AddEngineFlags(CLI::App& app, EngineOptions& options);

// Adds --ca-file PEM: checked when parsed (ValidateCaFile: a parse error names the problem)
// and stored as an absolute path (relative ones are resolved against the working directory
// at startup, not later, and not against a config file's directory).
void AddCaFileFlag(CLI::App& app, std::string& ca_file);

}  // namespace sieve
