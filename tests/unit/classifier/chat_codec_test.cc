// The OpenAI-compatible chat API of the classifier: the codec, and the server over real HTTP.
#include "classifier/chat_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/classifier/server_test_util.h"

namespace sieve::classifier {
namespace {

using nlohmann::json;

std::string ChatBody(const std::string& user_text) {
  return json{{"model", "m1"},
              {"temperature", 0},
              {"messages",
               json::array({json{{"role", "system"}, {"content", "Answer with one label."}},
                            json{{"role", "user"}, {"content", user_text}}})}}
      .dump();
}

TEST(ChatCodecTest, ReadsTheLastUserMessageAndCountsPromptTokens) {
  ChatRequest r = ParseChatBody(R"({"messages":[{"role":"user","content":"first words"},
      {"role":"assistant","content":"sports"},{"role":"user","content":"football scores"}]})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.text, "football scores");
  EXPECT_EQ(r.prompt_tokens, CountTokens("first words sports football scores"));
  r = ParseChatBody(R"({"model":"x","messages":[{"role":"user","content":[
      {"type":"text","text":"hello world"},{"type":"image_url","image_url":{"url":"u"}},
      {"type":"text","text":"again"}]}]})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.text, "hello world\nagain");
  EXPECT_EQ(r.model, "x");
}

TEST(ChatCodecTest, RefusesBadBodies) {
  EXPECT_EQ(ParseChatBody("nope").error->status, 400);
  EXPECT_EQ(ParseChatBody("[]").error->status, 422);
  EXPECT_EQ(ParseChatBody(R"({"messages":[]})").error->status, 422);
  EXPECT_EQ(ParseChatBody(R"({"messages":"hi"})").error->status, 422);
  EXPECT_EQ(ParseChatBody(R"({"messages":[5]})").error->status, 422);
  EXPECT_EQ(ParseChatBody(R"({"messages":[{"role":"user","content":7}]})").error->status, 422);
  ChatRequest r = ParseChatBody(R"({"messages":[{"role":"system","content":"x"}]})");
  EXPECT_EQ(r.error->status, 422);
  EXPECT_NE(r.error->detail.find("'user'"), std::string::npos);
}

TEST(ChatCodecTest, AnswerStyles) {
  const std::vector<std::string> labels = {"news", "sports", "cooking"};
  EXPECT_EQ(AnswerFor("news", AnswerStyle::kPlain, 0.2, 0, 0, labels), "news");
  EXPECT_EQ(AnswerFor("news", AnswerStyle::kSentence, 0.2, 0, 0, labels),
            "The category is: News.");
  // A noisy answer never names a real label: "cooking" is one here, so the next made-up one.
  EXPECT_EQ(AnswerFor("news", AnswerStyle::kNoisy, 0.2, 0.1, 0, labels),
            "I think it's miscellaneous");
  EXPECT_EQ(AnswerFor("news", AnswerStyle::kNoisy, 0.2, 0.5, 0.1, labels), "news");
  EXPECT_EQ(AnswerFor("news", AnswerStyle::kNoisy, 0.2, 0.5, 0.9, labels),
            "The category is: News.");
  AnswerStyle style;
  EXPECT_TRUE(ParseAnswerStyle("noisy", &style));
  EXPECT_EQ(style, AnswerStyle::kNoisy);
  EXPECT_FALSE(ParseAnswerStyle("loud", &style));
}

TEST(ChatCodecTest, FormatsTheOpenAiShape) {
  json answer = json::parse(FormatChatCompletion("The category is: News.", "", 12, 7, 1000));
  EXPECT_EQ(answer["object"], "chat.completion");
  EXPECT_EQ(answer["id"], "chatcmpl-sieve-7");
  EXPECT_EQ(answer["model"], std::string(kChatModelId));
  EXPECT_EQ(answer["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "The category is: News.");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 2);  // "category", "news"
  EXPECT_EQ(answer["usage"]["total_tokens"], 14);
  json models = json::parse(FormatModels("m"));
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "m");
}

TEST(ChatServerTest, AnswersTheSameLabelAsClassifyWithUsage) {
  auto server = StartTestServer();
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  const std::string text = "Premier League scores, football transfer news and live match tracker";
  auto plain = client->Post("/classify", ClassifyBody(text), "application/json");
  ASSERT_TRUE(plain);
  const std::string label = json::parse(plain->body)["label"];
  auto chat = client->Post("/v1/chat/completions", ChatBody(text), "application/json");
  ASSERT_TRUE(chat);
  ASSERT_EQ(chat->status, 200) << chat->body;
  json answer = json::parse(chat->body);
  EXPECT_EQ(answer["choices"][0]["message"]["content"], label);
  EXPECT_EQ(answer["model"], "m1");
  EXPECT_GT(answer["usage"]["prompt_tokens"].get<int>(), 5);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 1);
  auto models = client->Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], std::string(kChatModelId));
  auto bad = client->Post("/v1/chat/completions", R"({"messages":[]})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
}

TEST(ChatServerTest, SentenceAndNoisyStylesAndFaultFlags) {
  ClassifierOptions options;
  options.answer_style = AnswerStyle::kSentence;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto chat = ClientFor(*server)->Post("/v1/chat/completions",
                                       ChatBody("Premier League football scores"),
                                       "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(json::parse(chat->body)["choices"][0]["message"]["content"],
            "The category is: Sports.");

  options.answer_style = AnswerStyle::kNoisy;
  options.noisy_rate = 0.5;
  auto noisy = StartTestServer(options);
  ASSERT_TRUE(noisy);
  auto client = ClientFor(*noisy);
  int made_up = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = client->Post("/v1/chat/completions", ChatBody("Premier League football scores"),
                          "application/json");
    ASSERT_TRUE(r);
    const std::string content = json::parse(r->body)["choices"][0]["message"]["content"];
    if (content.rfind("I think it's", 0) == 0) {
      ++made_up;
    } else {
      EXPECT_TRUE(content == "sports" || content == "The category is: Sports.") << content;
    }
  }
  EXPECT_GT(made_up, 5);
  EXPECT_LT(made_up, 35);

  ClassifierOptions failing;
  failing.faults.fail_rate = 1;
  auto broken = StartTestServer(failing);
  ASSERT_TRUE(broken);
  auto r = ClientFor(*broken)->Post("/v1/chat/completions", ChatBody("x"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

}  // namespace
}  // namespace sieve::classifier
