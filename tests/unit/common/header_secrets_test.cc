// Credential header names, ${secret:NAME} references, and private data directories.
#include "common/header_secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/file_util.h"
#include "common/private_dir.h"

namespace sieve {
namespace {

TEST(HeaderSecretsTest, CredentialNamesAnyCaseAndExtra) {
  EXPECT_TRUE(IsCredentialHeaderName("authorization", {}));
  EXPECT_TRUE(IsCredentialHeaderName("PROXY-AUTHORIZATION", {}));
  EXPECT_TRUE(IsCredentialHeaderName("x-api-key", {}));
  EXPECT_TRUE(IsCredentialHeaderName("Api-Key", {}));
  EXPECT_FALSE(IsCredentialHeaderName("X-Team", {}));
  EXPECT_TRUE(IsCredentialHeaderName("X-Team", {" x-team "}));
  EXPECT_EQ(HeaderNameOf("  X-Api-Key : v"), "X-Api-Key");
}

TEST(HeaderSecretsTest, ReferenceIsNotALiteralCredential) {
  EXPECT_TRUE(IsLiteralCredential("Authorization: Bearer sk-1", {}));
  EXPECT_FALSE(IsLiteralCredential("Authorization: Bearer ${secret:openai}", {}));
  EXPECT_FALSE(IsLiteralCredential("X-Team: data", {}));
  EXPECT_TRUE(IsLiteralCredential("X-Team: data", {"X-Team"}));
}

TEST(HeaderSecretsTest, ExpandsEveryReference) {
  std::map<std::string, std::string> store = {{"a", "1"}, {"b-2", "two"}};
  auto lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = store.find(n);
    if (it == store.end()) return std::nullopt;
    return it->second;
  };
  Result<std::string> out = ExpandSecretRefs("x ${secret:a}-${secret:b-2} ${secret:a}", lookup);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "x 1-two 1");
  Result<std::string> missing = ExpandSecretRefs("Bearer ${secret:zz}", lookup);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("zz"), std::string::npos);
  EXPECT_FALSE(ExpandSecretRefs("${secret:a", lookup).ok());
  EXPECT_FALSE(ExpandSecretRefs("${secret:}", lookup).ok());
  EXPECT_FALSE(ExpandSecretRefs("${secret:a b}", lookup).ok());
  Result<std::vector<std::string>> names = SecretRefNames("${secret:a}${secret:b-2}");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b-2"}));
}

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("private_dir_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    old_umask_ = ::umask(0);
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::filesystem::remove_all(root_);
  }
  static unsigned ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::filesystem::path root_;
  mode_t old_umask_ = 0;
};

TEST_F(PrivateDirTest, CreatesPrivateDirsAndFilesWhateverTheUmask) {
  std::string dir = (root_ / "a" / "data").string();
  ASSERT_TRUE(PreparePrivateDir(dir, false).ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf((root_ / "a").string()), 0700u);
  ASSERT_TRUE(MakeDirs(dir + "/x/y").ok());
  EXPECT_EQ(ModeOf(dir + "/x"), 0700u);
  EXPECT_EQ(ModeOf(dir + "/x/y"), 0700u);
  ASSERT_TRUE(WriteFileAtomic(dir + "/x/f", "data").ok());
  EXPECT_EQ(ModeOf(dir + "/x/f"), 0600u);
  EXPECT_TRUE(PreparePrivateDir(dir, false).ok());  // an existing private dir is fine
}

TEST_F(PrivateDirTest, RefusesASharedDirUnlessAllowed) {
  std::string dir = (root_ / "shared").string();
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_EQ(::chmod(dir.c_str(), 0750), 0);
  Status s = PreparePrivateDir(dir, false);
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("chmod 700 " + dir), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("0750"), std::string::npos) << s.message();
  EXPECT_TRUE(PreparePrivateDir(dir, true).ok());
  ASSERT_EQ(::chmod(dir.c_str(), 0701), 0);  // others may enter: refused too
  EXPECT_FALSE(PreparePrivateDir(dir, false).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/file", "x").ok());
  EXPECT_EQ(PreparePrivateDir(dir + "/file", false).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace sieve
