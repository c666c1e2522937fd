#include "broker/chunk_spool.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace sieve {
namespace {

TEST(ChunkSpoolTest, PutGetRemove) {
  auto root = std::filesystem::temp_directory_path() /
              ("chunk_spool_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  ChunkSpool spool(root.string());
  std::string bytes = "a,\"b\r\nc\"\n";
  ASSERT_TRUE(spool.Put("j00000000000000aa", 3, bytes).ok());
  auto got = spool.Get("j00000000000000aa", 3);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes);
  EXPECT_EQ(spool.Get("j00000000000000aa", 4).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(spool.Remove("j00000000000000aa", 3).ok());
  EXPECT_FALSE(spool.Get("j00000000000000aa", 3).ok());
  ASSERT_TRUE(spool.Put("j00000000000000aa", 1, "x\n").ok());
  ASSERT_TRUE(spool.RemoveJob("j00000000000000aa").ok());
  EXPECT_FALSE(std::filesystem::exists(root / "j00000000000000aa"));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace sieve
