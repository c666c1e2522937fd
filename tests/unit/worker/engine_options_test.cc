// ValidateEngineOptions and ValidateCaFile: bad values are refused with the flag and the reason.
#include "worker/engine_options.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sieve {
namespace {

class CaFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve-ca-file-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CaFileTest, AcceptsAPemFile) {
  const std::string path = Write("ca.pem",
                                 "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  EXPECT_TRUE(ValidateCaFile(path).ok());
}

TEST_F(CaFileTest, RefusesDirectoriesMissingEmptyAndNonPemFiles) {
  struct Case {
    std::string path;
    std::string says;
  };
  const Case cases[] = {
      {dir_.string(), "not a file"},
      {(dir_ / "missing.pem").string(), "not a file"},
      {Write("empty.pem", ""), "holds no PEM certificate"},
      {Write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
       "holds no PEM certificate"},
  };
  for (const Case& c : cases) {
    Status s = ValidateCaFile(c.path);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.path;
    EXPECT_NE(s.message().find("--ca-file " + c.path + ": " + c.says), std::string::npos)
        << s.message();
  }
}

TEST(EngineOptionsTest, ValidatesTheCaFileAndTheHttpVersion) {
  EngineOptions o;
  o.endpoint = "https://model.example/classify";
  EXPECT_TRUE(ValidateEngineOptions(o).ok());
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_NE(ValidateEngineOptions(o).message().find("--ca-file"), std::string::npos);
  o.ca_file.clear();
  o.http_version = HttpVersion::kHttp2PriorKnowledge;
  const bool h2c_works = curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
  Status h2c = ValidateEngineOptions(o);
  EXPECT_EQ(h2c.ok(), h2c_works) << h2c.message();
  if (!h2c_works) {
    EXPECT_NE(h2c.message().find("curl issue #10634"), std::string::npos);
  }
}

}  // namespace
}  // namespace sieve
