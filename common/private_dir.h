// Private state directories: the broker's and the collector's data directories hold every
// job's input, output and (spooled) rows, so only their owner may read them, whatever the
// umask, as PostgreSQL does for its data directory and ssh for private keys.
//
// Contract: a data directory is created with mode 0700; one that exists and that group or
// others may read, write or enter is refused, with a message giving the `chmod` to run,
// unless `allow_shared` (--allow-shared-data-dir). Directories Sieve creates inside are 0700
// (MakeDirs) and the files 0600 (WriteFileAtomic, the collector's outputs, SQLite's files).
//
// Thread-safety: pure functions over the file system.
#pragma once

#include <string>

#include "common/status.h"

namespace sieve {

// The flag that lets a daemon start on a data directory others can read.
inline constexpr const char* kAllowSharedDataDirFlag = "--allow-shared-data-dir";

// Creates `dir` (and missing parents) 0700, or checks an existing one as above.
// PermissionDenied (message names the mode and the chmod) when it is shared;
// InvalidArgument when it is not a directory; IoError when it cannot be created.
Status PreparePrivateDir(const std::string& dir, bool allow_shared);

}  // namespace sieve
