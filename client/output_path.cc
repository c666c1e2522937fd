#include "client/output_path.h"

#include <sys/stat.h>

#include "common/file_util.h"

namespace sieve {
namespace {

constexpr const char* kNothingSent = " (nothing was sent)";

// Every file a fetch of `output` creates or replaces, the output first.
std::vector<std::string> WrittenFiles(const std::string& output) {
  std::vector<std::string> files;
  for (const std::string& file : {output, output + kSummarySuffix, output + kErrorsSuffix}) {
    files.push_back(file);
    files.push_back(file + kPartialSuffix);
  }
  return files;
}

}  // namespace

Status CheckOutputPath(const std::string& output, const std::vector<std::string>& inputs) {
  if (output.empty())
    return Status::InvalidArgument("-o names no file" + std::string(kNothingSent));
  struct stat st {};
  if (::stat(output.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("-o " + output + " is a directory; name a file in it, e.g. -o " +
                                   output + "/labelled.csv" + kNothingSent);
  }
  const std::string dir = DirName(output);
  Status writable = ProbeWritableDir(dir);
  if (writable.code() == Status::Code::kNotFound) {
    return Status::InvalidArgument("the directory " + dir + " of -o " + output +
                                   " does not exist; create it (mkdir -p " + dir +
                                   ") or choose another -o" + kNothingSent);
  }
  if (!writable.ok()) {
    return Status::InvalidArgument("cannot write the output " + output + ": " + writable.message() +
                                   "; choose a directory you can write to, or fix its "
                                   "permissions" +
                                   kNothingSent);
  }
  for (const std::string& file : WrittenFiles(output)) {
    for (const std::string& input : inputs) {
      if (!SameFile(file, input)) continue;
      std::string as = file == output ? "" : " (as " + file + ")";
      return Status::InvalidArgument("-o " + output + " would overwrite the input " + input + as +
                                     "; choose another -o" + kNothingSent);
    }
  }
  return Status::Ok();
}

}  // namespace sieve
