// CheckOutputPath: the -o check every command runs before it sends anything (issue 19). The
// end-to-end behaviour (exit 2, nothing reaching the endpoint) is
// tests/integration/fail_before_paying_test.py; these pin the messages and the cases.
#include "client/output_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sieve {
namespace {

using ::testing::HasSubstr;

class OutputPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("output_path_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name) {
    std::ofstream(Path(name)) << "a,b\n1,2\n";
    return Path(name);
  }
  std::filesystem::path dir_;
};

TEST_F(OutputPathTest, AWritableNewFileIsAccepted) {
  const std::string input = Write("in.csv");
  EXPECT_TRUE(CheckOutputPath(Path("out.csv"), {input}).ok());
  EXPECT_TRUE(CheckOutputPath(Write("old-output.csv"), {input}).ok());  // replaced at the end
  EXPECT_FALSE(std::filesystem::exists(Path("out.csv")));               // the check creates nothing
}

TEST_F(OutputPathTest, MissingDirectory) {
  const std::string out = Path("no/dir/out.csv");
  Status s = CheckOutputPath(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "the directory " + Path("no/dir") + " of -o " + out +
                             " does not exist; create it (mkdir -p " + Path("no/dir") +
                             ") or choose another -o (nothing was sent)");
}

TEST_F(OutputPathTest, ParentIsAFile) {
  const std::string out = Write("file.csv") + "/out.csv";
  Status s = CheckOutputPath(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("cannot write the output " + out));
}

TEST_F(OutputPathTest, ADirectoryIsNotAnOutput) {
  Status s = CheckOutputPath(dir_.string());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("is a directory; name a file in it"));
}

TEST_F(OutputPathTest, TheOutputIsNoInput) {
  const std::string a = Write("a.csv");
  const std::string b = Write("b.csv");
  std::filesystem::create_symlink(b, Path("link.csv"));
  for (const std::string& out : {a, b, Path("link.csv"), (dir_ / "." / "b.csv").string()}) {
    Status s = CheckOutputPath(out, {a, b});
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << out;
    EXPECT_THAT(s.message(), HasSubstr("-o " + out + " would overwrite the input ")) << out;
  }
  EXPECT_TRUE(CheckOutputPath(Path("c.csv"), {a, b}).ok());
}

TEST_F(OutputPathTest, TheFilesBesideTheOutputAreNoInputs) {
  const std::string in = Write("in.csv");
  for (const char* suffix : {kSummarySuffix, kErrorsSuffix, kPartialSuffix}) {
    const std::string side = Write(std::string("out.csv") + suffix);
    Status s = CheckOutputPath(Path("out.csv"), {in, side});
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << suffix;
    EXPECT_THAT(s.message(), HasSubstr("(as " + side + ")"));
    std::filesystem::remove(side);
  }
}

}  // namespace
}  // namespace sieve
