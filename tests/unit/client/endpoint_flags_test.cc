#include "client/endpoint_flags.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sieve {
namespace {

TEST(EndpointsFileTest, TakesOneUrlPerLineSkippingBlanksAndComments) {
  Result<std::vector<std::string>> urls = ParseEndpointsFile(
      "pool.txt", "# replicas\nhttp://a:8000/classify\n\n  https://b/classify  \r\n#x\n");
  ASSERT_TRUE(urls.ok()) << urls.status().ToString();
  EXPECT_EQ(*urls, (std::vector<std::string>{"http://a:8000/classify", "https://b/classify"}));
}

TEST(EndpointsFileTest, ABadLineIsNamedByFileAndLine) {
  Result<std::vector<std::string>> urls =
      ParseEndpointsFile("pool.txt", "http://a/c\n# ok\nftp://b/c\n");
  ASSERT_FALSE(urls.ok());
  EXPECT_EQ(urls.status().message(), "pool.txt:3: 'ftp://b/c' is not an http:// or https:// URL");
  urls = ParseEndpointsFile("pool.txt", "http://a/c http://b/c\n");
  ASSERT_FALSE(urls.ok());
  EXPECT_EQ(urls.status().message().rfind("pool.txt:1: one URL per line", 0), 0u);
}

TEST(EndpointFlagsTest, OneEndpointIsNoPool) {
  proto::JobSpec spec;
  EndpointFlags flags;
  flags.endpoints = {"http://a/c"};
  ASSERT_TRUE(ApplyEndpointFlags(flags, &spec).ok());
  EXPECT_EQ(spec.endpoint, "http://a/c");
  EXPECT_TRUE(spec.endpoints.empty());
}

TEST(EndpointFlagsTest, FlagsThenTheFileMakeThePoolAndTheFirstIsTheEndpoint) {
  const std::string path = ::testing::TempDir() + "/endpoints_flags_test.txt";
  std::ofstream(path) << "# more\nhttp://c/c\n";
  proto::JobSpec spec;
  EndpointFlags flags;
  flags.endpoints = {"http://a/c", "http://b/c"};
  flags.endpoints_file = path;
  ASSERT_TRUE(ApplyEndpointFlags(flags, &spec).ok());
  EXPECT_EQ(spec.endpoint, "http://a/c");
  EXPECT_EQ(spec.endpoints, (std::vector<std::string>{"http://a/c", "http://b/c", "http://c/c"}));
  std::remove(path.c_str());
}

TEST(EndpointFlagsTest, RefusesDuplicatesBadUrlsAndMissingFiles) {
  proto::JobSpec spec;
  EndpointFlags flags;
  flags.endpoints = {"http://a/c", "http://a/c"};
  EXPECT_EQ(ApplyEndpointFlags(flags, &spec).message(), "endpoint 'http://a/c' is given twice");
  flags.endpoints = {"a/c"};
  EXPECT_FALSE(ApplyEndpointFlags(flags, &spec).ok());
  flags.endpoints = {};
  flags.endpoints_file = "/nonexistent/pool.txt";
  EXPECT_EQ(ApplyEndpointFlags(flags, &spec).message().rfind("--endpoints-file /nonexistent", 0),
            0u);
  EXPECT_TRUE(spec.endpoint.empty());
}

}  // namespace
}  // namespace sieve
