#include "classifier/model_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sieve::classifier {
namespace {

NaiveBayesModel SmallModel() {
  Result<NaiveBayesModel> model = NaiveBayesModel::Train({{"football goals league match", "sports"},
                                                          {"shares stock market bank", "finance"},
                                                          {"doctor clinic hospital", "health"}},
                                                         {});
  EXPECT_TRUE(model.ok());
  return std::move(model).value();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "." + std::to_string(::getpid()) + ".bin"))
      .string();
}

TEST(ModelFileTest, RoundTripsExactly) {
  const NaiveBayesModel model = SmallModel();
  const std::string bytes = SerializeModel(model);
  Result<NaiveBayesModel> parsed = ParseModel(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->parameters().labels, model.parameters().labels);
  EXPECT_EQ(parsed->parameters().vocabulary, model.parameters().vocabulary);
  EXPECT_EQ(parsed->parameters().log_likelihoods, model.parameters().log_likelihoods);
  EXPECT_EQ(SerializeModel(*parsed), bytes);
}

TEST(ModelFileTest, EveryTruncationIsRejected) {
  const std::string bytes = SerializeModel(SmallModel());
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(ParseModel(std::string_view(bytes).substr(0, len)).ok()) << "length " << len;
  }
}

TEST(ModelFileTest, EverySingleBitFlipIsRejected) {
  const std::string bytes = SerializeModel(SmallModel());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string corrupt = bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ (1 << (i % 8)));
    EXPECT_FALSE(ParseModel(corrupt).ok()) << "byte " << i;
  }
}

TEST(ModelFileTest, ReportsMagicVersionAndTrailingBytes) {
  const std::string bytes = SerializeModel(SmallModel());
  std::string wrong_magic = bytes;
  wrong_magic[0] = 'X';
  EXPECT_NE(ParseModel(wrong_magic).status().message().find("magic"), std::string::npos);
  std::string wrong_version = bytes;
  wrong_version[8] = 2;
  EXPECT_EQ(ParseModel(wrong_version).status().code(), Status::Code::kVersionMismatch);
  EXPECT_EQ(ParseModel(bytes + "x").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(ParseModel("").status().code(), Status::Code::kCorrupt);
}

TEST(ModelFileTest, HugeCountsAreRefusedBeforeAllocating) {
  std::string bytes = SerializeModel(SmallModel());
  // vocabulary size field (offset 16) set to the maximum accepted value: the file is far too
  // short for it, which must be noticed before reserving memory.
  bytes[16] = 0, bytes[17] = 0, bytes[18] = 0x40, bytes[19] = 0;
  Status status = ParseModel(bytes).status();
  EXPECT_EQ(status.code(), Status::Code::kCorrupt);
  bytes[19] = 0x7f;  // beyond kMaxVocabulary
  EXPECT_NE(ParseModel(bytes).status().message().find("out of range"), std::string::npos);
}

TEST(ModelFileTest, SaveAndLoadThroughFiles) {
  const std::string path = TempPath("sieve_model_file_test");
  ASSERT_TRUE(SaveModel(SmallModel(), path).ok());
  Result<NaiveBayesModel> loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->Predict("football league").label, "sports");

  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "this is not a model, just some text that was written by mistake";
  }
  Status corrupt = LoadModel(path).status();
  EXPECT_EQ(corrupt.code(), Status::Code::kCorrupt);
  EXPECT_NE(corrupt.message().find(path), std::string::npos);
  std::remove(path.c_str());
  EXPECT_EQ(LoadModel(path).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(LoadModel(std::filesystem::temp_directory_path().string()).ok());
}

}  // namespace
}  // namespace sieve::classifier
