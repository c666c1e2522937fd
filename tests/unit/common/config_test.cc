#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sieve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A daemon-like app with a few options of each kind; the test owns the bound variables.
struct FakeDaemon {
  CLI::App app{"fake daemon"};
  std::string listen = "tcp://127.0.0.1:7400";
  std::string data_dir;
  int lease_ms = 30000;
  bool insecure = false;
  std::string secret_key;

  FakeDaemon() {
    app.name("fake");
    app.add_option("--listen", listen, "endpoint")->envname("SIEVE_FAKE_LISTEN")
        ->capture_default_str();
    app.add_option("--data-dir", data_dir, "dir")->required();
    app.add_option("--lease-ms", lease_ms, "lease")->capture_default_str();
    app.add_flag("--insecure", insecure, "insecure");
    app.add_option("--curve-secret-key", secret_key, "key contents");
  }

  std::optional<int> Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "fake");
    return ParseLayeredConfig(app, static_cast<int>(args.size()), args.data());
  }
};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : kEnv) unsetenv(name);
  }
  void TearDown() override {
    for (const char* name : kEnv) unsetenv(name);
    std::filesystem::remove_all(dir_);
  }
  std::string WriteFile(const std::string& text) {
    const std::string path = (dir_ / "fake.toml").string();
    std::ofstream(path) << text;
    return path;
  }

  static constexpr const char* kEnv[] = {"SIEVE_CONFIG", "SIEVE_FAKE_LISTEN", "SIEVE_DATA_DIR",
                                         "SIEVE_LEASE_MS", "SIEVE_INSECURE"};
  std::filesystem::path dir_;
};

TEST(ConfigNamesTest, EnvNameIsUpperSnakeWithPrefix) {
  EXPECT_EQ(ConfigEnvName("--data-dir"), "SIEVE_DATA_DIR");
  EXPECT_EQ(ConfigEnvName("lease-ms"), "SIEVE_LEASE_MS");
}

TEST(ConfigNamesTest, SecretsAreRecognisedByName) {
  EXPECT_TRUE(IsSecretOption("curve-secret-key"));
  EXPECT_TRUE(IsSecretOption("header"));
  EXPECT_TRUE(IsSecretOption("api-TOKEN"));
  EXPECT_FALSE(IsSecretOption("curve-secret-key-file"));
  EXPECT_FALSE(IsSecretOption("data-dir"));
  EXPECT_FALSE(IsSecretOption("curve-key-file"));
}

TEST_F(ConfigTest, FlagsAlone) {
  FakeDaemon d;
  EXPECT_EQ(d.Parse({"--data-dir", "/d", "--lease-ms", "5", "--insecure"}), std::nullopt);
  EXPECT_EQ(d.data_dir, "/d");
  EXPECT_EQ(d.lease_ms, 5);
  EXPECT_TRUE(d.insecure);
  EXPECT_EQ(d.listen, "tcp://127.0.0.1:7400");
}

TEST_F(ConfigTest, EnvironmentFillsOptionsAndKeepsExplicitNames) {
  setenv("SIEVE_DATA_DIR", "/env", 1);
  setenv("SIEVE_FAKE_LISTEN", "tcp://10.0.0.1:1", 1);
  setenv("SIEVE_INSECURE", "true", 1);
  FakeDaemon d;
  EXPECT_EQ(d.Parse({}), std::nullopt);
  EXPECT_EQ(d.data_dir, "/env");
  EXPECT_EQ(d.listen, "tcp://10.0.0.1:1");
  EXPECT_TRUE(d.insecure);
}

TEST_F(ConfigTest, FileFillsRequiredOptionsAndFlags) {
  const std::string file = WriteFile("data-dir = \"/file\"\nlease-ms = 7\ninsecure = true\n");
  FakeDaemon d;
  EXPECT_EQ(d.Parse({"--config", file.c_str()}), std::nullopt);
  EXPECT_EQ(d.data_dir, "/file");
  EXPECT_EQ(d.lease_ms, 7);
  EXPECT_TRUE(d.insecure);
}

TEST_F(ConfigTest, PrecedenceIsFlagsThenEnvironmentThenFile) {
  const std::string file = WriteFile("data-dir = \"/file\"\nlease-ms = 7\nlisten = \"tcp://f:1\"\n");
  setenv("SIEVE_CONFIG", file.c_str(), 1);
  setenv("SIEVE_LEASE_MS", "8", 1);
  setenv("SIEVE_DATA_DIR", "/env", 1);
  FakeDaemon d;
  EXPECT_EQ(d.Parse({"--data-dir", "/flag"}), std::nullopt);
  EXPECT_EQ(d.data_dir, "/flag");
  EXPECT_EQ(d.lease_ms, 8);
  EXPECT_EQ(d.listen, "tcp://f:1");
}

TEST_F(ConfigTest, UnknownKeyInFileIsAnError) {
  const std::string file = WriteFile("data-dir = \"/file\"\nlease_ms = 7\n");
  FakeDaemon d;
  testing::internal::CaptureStderr();
  EXPECT_NE(d.Parse({"--config", file.c_str()}).value_or(0), 0);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("lease_ms"));
}

TEST_F(ConfigTest, MissingFileIsAnErrorFromFlagAndFromEnvironment) {
  const std::string missing = (dir_ / "missing.toml").string();
  testing::internal::CaptureStderr();
  FakeDaemon from_flag;
  EXPECT_NE(from_flag.Parse({"--data-dir", "/d", "--config", missing.c_str()}).value_or(0), 0);
  setenv("SIEVE_CONFIG", missing.c_str(), 1);
  FakeDaemon from_env;
  EXPECT_NE(from_env.Parse({"--data-dir", "/d"}).value_or(0), 0);
  testing::internal::GetCapturedStderr();
}

TEST_F(ConfigTest, BadValueIsAnErrorNotACrash) {
  setenv("SIEVE_LEASE_MS", "soon", 1);
  FakeDaemon d;
  testing::internal::CaptureStderr();
  EXPECT_NE(d.Parse({"--data-dir", "/d"}).value_or(0), 0);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("lease-ms"));
}

TEST_F(ConfigTest, PrintConfigIsReadableBackAndMasksSecrets) {
  FakeDaemon d;
  testing::internal::CaptureStdout();
  EXPECT_EQ(d.Parse({"--data-dir", "/d d", "--curve-secret-key", "hunter2", "--insecure",
                     "--print-config"}),
            0);
  const std::string printed = testing::internal::GetCapturedStdout();
  EXPECT_THAT(printed, HasSubstr("data-dir = \"/d d\"\n"));
  EXPECT_THAT(printed, HasSubstr("lease-ms = 30000\n"));
  EXPECT_THAT(printed, HasSubstr("insecure = true\n"));
  EXPECT_THAT(printed, HasSubstr("curve-secret-key = \"<masked>\"\n"));
  EXPECT_THAT(printed, Not(HasSubstr("hunter2")));
  EXPECT_THAT(printed, Not(HasSubstr("print-config")));

  // What it printed is a config file giving the same values (the mask replaces the secret).
  FakeDaemon again;
  EXPECT_EQ(again.Parse({"--config", WriteFile(printed).c_str()}), std::nullopt);
  EXPECT_EQ(again.data_dir, "/d d");
  EXPECT_TRUE(again.insecure);
  EXPECT_EQ(again.secret_key, "<masked>");
}

TEST_F(ConfigTest, HelpShowsEnvironmentNamesAndPrecedence) {
  FakeDaemon d;
  testing::internal::CaptureStdout();
  EXPECT_EQ(d.Parse({"--help"}), 0);
  const std::string help = testing::internal::GetCapturedStdout();
  EXPECT_THAT(help, HasSubstr("SIEVE_LEASE_MS"));
  EXPECT_THAT(help, HasSubstr("SIEVE_CONFIG"));
  EXPECT_THAT(help, HasSubstr("CONFIGURATION"));
}

}  // namespace
}  // namespace sieve
