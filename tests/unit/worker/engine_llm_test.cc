// The engine against the reference server's OpenAI-compatible chat endpoint (in-process, real
// HTTP on loopback): body templates, label normalisation, re-asking noisy answers, and token
// usage, compared row by row with the plain /classify answers.
#include <gtest/gtest.h>

#include <set>

#include "classifier/classifier_server.h"
#include "classifier/corpus.h"
#include "engine_test_util.h"
#include "worker/http_engine.h"

namespace sieve::testing {
namespace {

using classifier::AnswerStyle;
using classifier::ClassifierOptions;
using classifier::ClassifierServer;

constexpr char kTemplate[] =
    R"({"model":"m","temperature":0,"messages":[{"role":"system","content":"One label."},)"
    R"({"role":"user","content":"{{content}}"}]})";

std::unique_ptr<ClassifierServer> Start(AnswerStyle style, double noisy_rate = 0.2) {
  ClassifierOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  auto corpus = classifier::ReadCorpus(SIEVE_SOURCE_DIR "/examples/classifier-corpus.csv");
  EXPECT_TRUE(corpus.ok());
  auto model = classifier::NaiveBayesModel::Train(*corpus, {});
  EXPECT_TRUE(model.ok());
  options.model = std::make_shared<const classifier::NaiveBayesModel>(std::move(model).value());
  options.answer_style = style;
  options.noisy_rate = noisy_rate;
  options.faults.seed = 11;
  auto server = ClassifierServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

std::string Url(const ClassifierServer& server, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

RowBatch VariedBatch(size_t rows) {
  static const char* kTexts[] = {
      "Premier League football scores and live match tracker",
      "Breaking news: election results and world headlines",
      "Book cheap flights, hotels and beach holidays",
      "Stock market, shares and investment banking",
      "Online shop: add to cart, free shipping on shoes",
      "University courses, lectures and student admissions",
      "Symptoms, doctors, hospital and health advice",
      "Café \"Zürich\" \\ 新闻 \n\t tab and quotes",
  };
  RowBatch batch = MakeBatch(0);
  for (size_t i = 0; i < rows; ++i) {
    batch.rows.push_back({"site-" + std::to_string(i), kTexts[i % std::size(kTexts)]});
  }
  return batch;
}

ChunkLabels Label(EngineOptions options, const RowBatch& batch) {
  auto engine = HttpEngine::Create(std::move(options));
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  CancelToken cancel;
  Result<ChunkLabels> labels = (*engine)->LabelRows(batch, cancel);
  EXPECT_TRUE(labels.ok()) << labels.status().ToString();
  return std::move(labels).value();
}

EngineOptions ChatOptions(const ClassifierServer& server) {
  EngineOptions options = TestOptions(Url(server, "/v1/chat/completions"));
  options.body_template = kTemplate;
  options.label_field = "/choices/0/message/content";
  options.labels = server.labels();
  return options;
}

TEST(EngineLlmTest, SentenceAnswersGiveTheSameLabelsAsClassifyAndCountTokens) {
  auto server = Start(AnswerStyle::kSentence);
  const RowBatch batch = VariedBatch(40);
  const ChunkLabels plain = Label(TestOptions(Url(*server, "/classify")), batch);
  ASSERT_TRUE(plain.errors.empty());
  EXPECT_EQ(plain.counters.prompt_tokens, 0u);  // /classify answers carry no usage
  const ChunkLabels chat = Label(ChatOptions(*server), batch);
  EXPECT_TRUE(chat.errors.empty()) << chat.errors.front().reason;
  EXPECT_EQ(chat.labels, plain.labels);
  EXPECT_EQ(std::set<std::string>(plain.labels.begin(), plain.labels.end()).size() >= 5, true);
  EXPECT_GT(chat.counters.prompt_tokens, 40u * 3);
  EXPECT_EQ(chat.counters.completion_tokens, 40u * 2);  // "category" + the label
  EXPECT_EQ(chat.counters.answers_invalid, 0u);

  // Without --labels the sentence is the label, as it is.
  EngineOptions raw = ChatOptions(*server);
  raw.labels.clear();
  const ChunkLabels as_is = Label(raw, batch);
  EXPECT_EQ(as_is.labels[0], "The category is: Sports.");

  // Batches post an array of rendered bodies: the chat endpoint refuses one (422), and the
  // rows fail with that reason rather than being sent one by one.
  EngineOptions batched = ChatOptions(*server);
  batched.batch_size = 4;
  const ChunkLabels refused = Label(batched, VariedBatch(8));
  ASSERT_EQ(refused.errors.size(), 8u);
  EXPECT_NE(refused.errors[0].reason.find("HTTP 422"), std::string::npos);
}

TEST(EngineLlmTest, NoisyAnswersAreReaskedThenReported) {
  auto server = Start(AnswerStyle::kNoisy, 0.4);
  const RowBatch batch = VariedBatch(200);
  const ChunkLabels plain = Label(TestOptions(Url(*server, "/classify")), batch);
  EngineOptions options = ChatOptions(*server);
  options.invalid_retries = 1;
  const ChunkLabels chat = Label(options, batch);
  // 40% made-up answers, one re-ask: ~40% of rows re-asked, ~16% still invalid.
  EXPECT_GT(chat.counters.answers_invalid, 40u);
  EXPECT_GT(chat.counters.rows_invalid, 5u);
  EXPECT_LT(chat.counters.rows_invalid, 80u);
  EXPECT_EQ(chat.errors.size(), chat.counters.rows_invalid);
  // Requests: one per row plus one per re-ask.
  EXPECT_EQ(chat.counters.requests, 200u + (chat.counters.answers_invalid - chat.counters.rows_invalid));
  for (const RowError& e : chat.errors) {
    EXPECT_EQ(chat.labels[e.row], "error");
    EXPECT_EQ(e.reason.rfind("answer \"I think it's ", 0), 0u) << e.reason;
    EXPECT_NE(e.reason.find("\" is not one of the labels"), std::string::npos);
  }
  std::set<uint32_t> failed;
  for (const RowError& e : chat.errors) failed.insert(e.row);
  for (size_t row = 0; row < batch.rows.size(); ++row) {
    if (failed.count(static_cast<uint32_t>(row)) == 0) {
      EXPECT_EQ(chat.labels[row], plain.labels[row]) << "row " << row;
    }
  }
  // With no re-asks, every made-up answer is an error row at once.
  options.invalid_retries = 0;
  const ChunkLabels once = Label(options, batch);
  EXPECT_EQ(once.counters.answers_invalid, once.counters.rows_invalid);
  EXPECT_EQ(once.counters.requests, 200u);
}

}  // namespace
}  // namespace sieve::testing
