#include "common/private_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/file_util.h"

namespace sieve {

Status PreparePrivateDir(const std::string& dir, bool allow_shared) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Status::IoError("cannot stat data directory " + dir + ": " + std::strerror(errno));
    }
    return MakeDirs(dir);  // 0700 whatever the umask
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("data directory " + dir + " is not a directory");
  }
  const unsigned shared = st.st_mode & 077;
  if (shared == 0 || allow_shared) return Status::Ok();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return Status::PermissionDenied(
      "data directory " + dir + " has mode " + mode +
      ": group or others can reach it, and it holds every job's rows and results. Run `chmod "
      "700 " + dir + "` (and `chmod -R go-rwx " + dir + "`), or start with " +
      kAllowSharedDataDirFlag + " if that is intended");
}

}  // namespace sieve
