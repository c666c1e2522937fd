// Durable file operations shared by the broker's spool and the collector's result store.
//
// Durability contract: when WriteFileAtomic or SyncDir returns OK, the data (and the directory
// entry) survive a crash of this process and of the machine, as far as fsync promises. A crash
// before that leaves either the old file or no file, never a torn one (write to a temporary
// name, fsync, rename, fsync the directory).
//
// All functions are thread-compatible (no shared state); errors name the path and errno text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sieve {

// Creates `path` and its missing parents (like `mkdir -p`), each one it creates mode 0700
// whatever the umask. Existing directories are left as they are.
Status MakeDirs(const std::string& path);

// Writes `data` to `path` atomically and durably (tmp file, fsync, rename, fsync of the dir).
// The file is created mode 0600 (state files: only the owner reads them).
Status WriteFileAtomic(const std::string& path, std::string_view data);

// Reads the whole file. NotFound when it does not exist.
// REQUIRES: the file is small enough to hold in memory (chunk files, metadata).
Result<std::string> ReadFile(const std::string& path);

// Reads at most `max_bytes` starting at `offset`; fewer at end of file.
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t max_bytes);

// fsyncs a directory so that renames and creations inside it are durable.
Status SyncDir(const std::string& dir);

// Removes a file; OK when it does not exist.
Status RemoveFile(const std::string& path);

// Removes a directory tree; OK when it does not exist.
Status RemoveTree(const std::string& path);

bool FileExists(const std::string& path);

// Size in bytes; NotFound when missing.
Result<uint64_t> FileSize(const std::string& path);

// The directory part of `path` ("." when there is none).
std::string DirName(const std::string& path);

// Checks that files can be created in the existing directory `dir` by creating and removing
// an empty temporary file in it, so that read-only mounts, ACLs and immutable directories are
// caught as well as permission bits. Fails with NotFound (no such directory), InvalidArgument
// (not a directory) or PermissionDenied / IoError (cannot create a file; errno text).
// Cost: one create and one unlink.
Status ProbeWritableDir(const std::string& dir);

// True when `a` and `b` both exist and are the same file (same device and inode, so links,
// symlinks and different spellings of one path compare equal).
bool SameFile(const std::string& a, const std::string& b);

}  // namespace sieve
