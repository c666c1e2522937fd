// SecretStore: the file (mode-checked) and SIEVE_SECRET_<NAME> variables, and resolution.
#include "worker/secret_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sieve {
namespace {

class SecretStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("secret_store_test_" + std::to_string(::getpid())))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text, mode_t mode) {
    std::filesystem::remove(path_);
    std::ofstream(path_) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::string path_;
};

TEST_F(SecretStoreTest, ReadsFileThenEnvironmentWhichWins) {
  Write("# keys\n\nopenai=sk-file\nother-key = v=with=equals\r\n", 0600);
  std::string a = "SIEVE_SECRET_OPENAI=sk-env", b = "PATH=/bin", c = "SIEVE_SECRET_ONLY_ENV=e";
  char* env[] = {a.data(), b.data(), c.data(), nullptr};
  Result<SecretStore> store = SecretStore::Load(path_, env);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->Lookup("openai"), "sk-env");
  EXPECT_EQ(store->Lookup("other-key"), " v=with=equals");
  EXPECT_EQ(store->Lookup("only-env"), "e");
  EXPECT_FALSE(store->Lookup("absent"));
}

TEST_F(SecretStoreTest, RefusesAFileOthersCanRead) {
  Write("openai=sk-loose\n", 0640);
  Result<SecretStore> store = SecretStore::Load(path_, nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("chmod 600 " + path_), std::string::npos);
  EXPECT_EQ(store.status().message().find("sk-loose"), std::string::npos);
  Write("no equals sign here sk-x\n", 0600);
  store = SecretStore::Load(path_, nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message().find("sk-x"), std::string::npos);
  EXPECT_FALSE(SecretStore::Load(path_ + ".missing", nullptr).ok());
}

TEST_F(SecretStoreTest, ResolvesHeadersOrNamesTheMissingSecret) {
  std::string a = "SIEVE_SECRET_MODEL=k1";
  char* env[] = {a.data(), nullptr};
  Result<SecretStore> store = SecretStore::Load("", env);
  ASSERT_TRUE(store.ok());
  std::string missing;
  Result<std::vector<std::string>> headers =
      store->Resolve({"Authorization: Bearer ${secret:model}", "X-Team: t"}, &missing);
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(*headers, (std::vector<std::string>{"Authorization: Bearer k1", "X-Team: t"}));
  EXPECT_TRUE(missing.empty());
  headers = store->Resolve({"X-Api-Key: ${secret:nowhere}"}, &missing);
  EXPECT_EQ(headers.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing, "nowhere");
  EXPECT_NE(headers.status().message().find("SIEVE_SECRET_NOWHERE"), std::string::npos);
}

}  // namespace
}  // namespace sieve
