#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace sieve {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path) {
  int err = errno;
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EACCES || err == EPERM) return Status::PermissionDenied(msg);
  return Status::IoError(msg);
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Closes `fd` on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

std::string DirName(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

Status MakeDirs(const std::string& path) {
  // Each missing component is made 0700 and chmod-ed so, whatever the umask (common/private_dir.h).
  std::filesystem::path built;
  for (const std::filesystem::path& part : std::filesystem::path(path)) {
    built /= part;
    const std::string p = built.string();
    if (p.empty() || p == "/") continue;
    if (::mkdir(p.c_str(), 0700) == 0) {
      if (::chmod(p.c_str(), 0700) != 0) return ErrnoStatus("cannot chmod directory", p);
    } else if (errno != EEXIST) {
      return ErrnoStatus("cannot create directory", p);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError("cannot create directory " + path + ": not a directory");
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", dir);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoStatus("cannot fsync directory", dir);
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  // 0600: only the owner reads Sieve's state, whatever the umask (common/private_dir.h).
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  {
    FdCloser closer(fd);
    Status s = WriteAll(fd, data, tmp);
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus("cannot fsync", tmp);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("cannot rename into place", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDir(DirName(path));
}

Result<std::string> ReadFile(const std::string& path) {
  return ReadFileRange(path, 0, UINT64_MAX);
}

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return std::string();
  uint64_t want = std::min<uint64_t>(size - offset, max_bytes);
  std::string out(want, '\0');
  uint64_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, out.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path);
    }
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  out.resize(got);
  return out;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IoError("cannot remove " + path + ": " + ec.message());
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path);
  return static_cast<uint64_t>(st.st_size);
}

Status ProbeWritableDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("cannot use directory", dir);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(dir + " is not a directory");
  std::string probe = (std::filesystem::path(dir) / ".sieve-write-probe-XXXXXX").string();
  int fd = ::mkstemp(probe.data());
  if (fd < 0) return ErrnoStatus("cannot create a file in", dir);
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) return ErrnoStatus("cannot remove", probe);
  return Status::Ok();
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace sieve
