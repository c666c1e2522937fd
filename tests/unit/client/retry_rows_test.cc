// The failed rows `sieve retry` submits (client/retry_command.h), from real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "client/retry_command.h"
#include "common/file_util.h"

namespace sieve {
namespace {

TEST(WithoutLastFieldTest, GivesBackTheInputRecordByteForByte) {
  EXPECT_EQ(*WithoutLastField("a,b,error\n"), "a,b\n");
  EXPECT_EQ(*WithoutLastField("\"x,\ny\",\"q\"\"\",error\r\n"), "\"x,\ny\",\"q\"\"\"\r\n");
  EXPECT_EQ(*WithoutLastField("a,\"needs, quotes\"\n"), "a\n");  // a label AppendCsvField quoted
  EXPECT_EQ(*WithoutLastField("a,b,error"), "a,b");
  EXPECT_FALSE(WithoutLastField("alone\n").ok());
  EXPECT_FALSE(WithoutLastField("a,\"unquoted\"\"x\n").ok());
}

TEST(WriteFailedRowsTest, WritesTheHeaderAndTheFailedRowsInOrder) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("retry_rows_test_" + std::to_string(::getpid())))
                        .string();
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir + "/out.csv",
                              "website,content,label\r\na,one,news\r\nb,\"t\nwo\",error\r\n"
                              "c,three,sports\r\nd,four,error\r\n")
                  .ok());
  ASSERT_TRUE(
      WriteFileAtomic(dir + "/out.csv.errors.csv", "row,website,reason\n2,b,x\n4,d,y\n").ok());
  Result<uint64_t> rows =
      WriteFailedRows(dir + "/out.csv", dir + "/out.csv.errors.csv", dir + "/retry.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 2u);
  EXPECT_EQ(*ReadFile(dir + "/retry.csv"), "website,content\r\nb,\"t\nwo\"\r\nd,four\r\n");
  // An errors report naming a row the output does not have is refused.
  ASSERT_TRUE(WriteFileAtomic(dir + "/bad.errors.csv", "row,website,reason\n9,z,x\n").ok());
  EXPECT_FALSE(WriteFailedRows(dir + "/out.csv", dir + "/bad.errors.csv", dir + "/r2.csv").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sieve
