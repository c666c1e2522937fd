#include "common/body_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sieve {
namespace {

const std::vector<std::string> kHeader = {"website", "content"};

std::string Render(const BodyTemplate& t, std::vector<std::string> row) {
  std::string out;
  Status s = t.Append(row, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(BodyTemplateTest, ReplacesPlaceholdersInsideStringsAndKeepsTheRest) {
  Result<BodyTemplate> t = BodyTemplate::Compile(
      R"({"model": "m", "messages": [{"role": "user", "content": "Site {{website}}: {{ content }}"}],
          "temperature": 0, "top_p": 1.5, "stream": false, "stop": null})",
      kHeader);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"website", "content"}));
  EXPECT_EQ(t->slots(), 2u);
  EXPECT_EQ(Render(*t, {"a.com", "hello"}),
            R"({"model":"m","messages":[{"role":"user","content":"Site a.com: hello"}],)"
            R"("temperature":0,"top_p":1.5,"stream":false,"stop":null})");
}

TEST(BodyTemplateTest, EscapesEveryJsonSpecialCharacterAndKeepsUnicode) {
  Result<BodyTemplate> t = BodyTemplate::Compile(R"({"{{website}}": "<{{content}}>"})", kHeader);
  ASSERT_TRUE(t.ok());
  std::string nasty = "q\"b\\s/n\nr\rt\tb\bf\f";
  for (int c = 0; c < 0x20; ++c) nasty.push_back(static_cast<char>(c));
  nasty += "\x7f é 新闻 🎉 \u2028 {{content}}";
  const std::string body = Render(*t, {"key\"", nasty});
  const nlohmann::json parsed = nlohmann::json::parse(body);  // throws if not JSON
  EXPECT_EQ(parsed.at("key\"").get<std::string>(), "<" + nasty + ">");
  EXPECT_NE(body.find("\\u0000"), std::string::npos);
  EXPECT_NE(body.find("新闻 🎉"), std::string::npos);  // UTF-8 is copied, not \u-escaped
}

TEST(BodyTemplateTest, InvalidUtf8IsAPerRowError) {
  Result<BodyTemplate> t = BodyTemplate::Compile(R"({"c": "{{content}}"})", kHeader);
  ASSERT_TRUE(t.ok());
  std::string out = "kept";
  std::vector<std::string> row = {"x", "ab\xff"};
  Status s = t->Append(row, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid UTF-8 in column 'content' at byte 2");
  EXPECT_EQ(out, "kept");
  std::vector<std::string> short_row = {"x"};
  EXPECT_FALSE(t->Append(short_row, &out).ok());
  EXPECT_EQ(out, "kept");
}

TEST(BodyTemplateTest, CompileErrorsNameTheProblem) {
  Result<BodyTemplate> t = BodyTemplate::Compile(R"({"c": "{{body}}"})", kHeader);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "--body-template names column 'body', which the input does not have (columns: "
            "website, content)");
  t = BodyTemplate::Compile(R"({"c": "{{content"})", kHeader);
  EXPECT_NE(t.status().message().find("without a closing"), std::string::npos);
  t = BodyTemplate::Compile(R"({"c": "{{ }}"})", kHeader);
  EXPECT_NE(t.status().message().find("empty placeholder"), std::string::npos);
  t = BodyTemplate::Compile(R"({"c": )", kHeader);
  EXPECT_NE(t.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(BodyTemplate::Compile("", kHeader).ok());
}

TEST(BodyTemplateTest, TheShippedChatTemplateCompiles) {
  std::FILE* f = std::fopen(SIEVE_SOURCE_DIR "/examples/chat-template.json", "rb");
  ASSERT_NE(f, nullptr);
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  Result<BodyTemplate> t = BodyTemplate::Compile(text, kHeader);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const nlohmann::json body = nlohmann::json::parse(Render(*t, {"https://x.org", "Premier \"League\""}));
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_EQ(body["messages"].back()["role"], "user");
  EXPECT_NE(body["messages"].back()["content"].get<std::string>().find("Premier \"League\""),
            std::string::npos);
  EXPECT_NE(body["messages"].front()["content"].get<std::string>().find("sports"),
            std::string::npos);
}

}  // namespace
}  // namespace sieve
