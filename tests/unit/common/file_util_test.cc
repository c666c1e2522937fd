// ProbeWritableDir and SameFile (the output-path check of issue 19 builds on them).
#include "common/file_util.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sieve {
namespace {

using ::testing::HasSubstr;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("file_util_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name) {
    std::ofstream(Path(name)) << "x\n";
    return Path(name);
  }
  std::filesystem::path dir_;
};

TEST_F(FileUtilTest, ProbeWritableDirLeavesNothingBehind) {
  EXPECT_TRUE(ProbeWritableDir(dir_.string()).ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(FileUtilTest, ProbeWritableDirMissingOrNotADirectory) {
  Status missing = ProbeWritableDir(Path("nope"));
  EXPECT_EQ(missing.code(), Status::Code::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr(Path("nope")));
  Status file = ProbeWritableDir(Write("file"));
  EXPECT_EQ(file.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(file.message(), HasSubstr("is not a directory"));
}

// An immutable directory takes no new file, even for root (whom permission bits do not stop).
TEST_F(FileUtilTest, ProbeWritableDirRefusesAnImmutableDirectory) {
  const std::string locked = Path("locked");
  std::filesystem::create_directory(locked);
  if (::geteuid() != 0) {
    std::filesystem::permissions(
        locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  } else {
    int fd = ::open(locked.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    int flags = 0;
    if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0 ||
        (flags |= FS_IMMUTABLE_FL, ::ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0)) {
      ::close(fd);
      GTEST_SKIP() << "the file system of " << locked << " has no immutable flag";
    }
    ::close(fd);
  }
  Status s = ProbeWritableDir(locked);
  // Undo before asserting, so that TearDown can remove the directory.
  if (::geteuid() == 0) {
    int fd = ::open(locked.c_str(), O_RDONLY | O_DIRECTORY);
    int flags = 0;
    ::ioctl(fd, FS_IOC_GETFLAGS, &flags);
    flags &= ~FS_IMMUTABLE_FL;
    ::ioctl(fd, FS_IOC_SETFLAGS, &flags);
    ::close(fd);
  } else {
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  }
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot create a file in " + locked));
}

TEST_F(FileUtilTest, SameFileByDeviceAndInode) {
  const std::string a = Write("a.csv");
  const std::string b = Write("b.csv");
  std::filesystem::create_symlink(a, Path("sym.csv"));
  std::filesystem::create_hard_link(a, Path("hard.csv"));
  EXPECT_TRUE(SameFile(a, a));
  EXPECT_TRUE(SameFile(a, Path("sym.csv")));
  EXPECT_TRUE(SameFile(Path("hard.csv"), a));
  EXPECT_TRUE(SameFile((dir_ / "." / "a.csv").string(), a));
  EXPECT_FALSE(SameFile(a, b));  // same contents, different files
  EXPECT_FALSE(SameFile(a, Path("missing.csv")));
  EXPECT_FALSE(SameFile(Path("missing.csv"), Path("missing.csv")));
}

}  // namespace
}  // namespace sieve
