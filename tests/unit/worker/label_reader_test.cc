#include "worker/label_reader.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

LabelReader Reader(const std::string& field) {
  Result<LabelReader> reader = LabelReader::Create(field);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return std::move(reader).value();
}

TEST(LabelReaderTest, ReadsStringsAndNumbers) {
  EXPECT_EQ(Reader("label").ReadOne(R"({"label":"news"})").value(), "news");
  EXPECT_EQ(Reader("label").ReadOne(R"({"label":7})").value(), "7");
  EXPECT_EQ(Reader("label").ReadOne(R"({"label":0.5})").value(), "0.5");
  EXPECT_EQ(Reader("/a/b").ReadOne(R"({"a":{"b":"deep"}})").value(), "deep");
  EXPECT_EQ(Reader("/a/1").ReadOne(R"({"a":["x","y"]})").value(), "y");
  EXPECT_EQ(Reader("a/b").ReadOne(R"({"a/b":"slash key"})").value(), "slash key");
}

TEST(LabelReaderTest, SaysWhyThereIsNoLabel) {
  const LabelReader reader = Reader("label");
  EXPECT_EQ(reader.ReadOne("nope").status().message(), "response is not JSON: 'nope'");
  EXPECT_EQ(reader.ReadOne("").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(reader.ReadOne(R"({"x":1})").status().message(), "no field 'label' in response");
  EXPECT_EQ(reader.ReadOne(R"([1])").status().message(), "no field 'label' in response");
  EXPECT_EQ(reader.ReadOne(R"({"label":null})").status().message(),
            "field 'label' is null, not a string or number");
  EXPECT_EQ(Reader("/a/x").ReadOne(R"({"a":[1]})").status().message(),
            "no field '/a/x' in response");
}

TEST(LabelReaderTest, RefusesBadFields) {
  EXPECT_FALSE(LabelReader::Create("").ok());
  EXPECT_FALSE(LabelReader::Create("/a~").ok());
}

TEST(LabelReaderTest, ReadsBatchAnswers) {
  const LabelReader reader = Reader("label");
  auto labels = reader.ReadBatch(R"([{"label":"a"},"b",3,{"nope":1}])", 4);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ((*labels)[0].value(), "a");
  EXPECT_EQ((*labels)[1].value(), "b");
  EXPECT_EQ((*labels)[2].value(), "3");
  EXPECT_FALSE((*labels)[3].ok());
  EXPECT_EQ(reader.ReadBatch(R"(["a"])", 2).status().message(),
            "batch answer has 1 elements for 2 rows");
  EXPECT_EQ(reader.ReadBatch(R"({"label":"a"})", 1).status().message(),
            "batch answer is object, not an array");
}

}  // namespace
}  // namespace sieve
