#include "classifier/naive_bayes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classifier/commands.h"
#include "classifier/corpus.h"

namespace sieve::classifier {
namespace {

const std::string kCorpus = SIEVE_SOURCE_DIR "/examples/classifier-corpus.csv";

std::vector<LabeledText> TinyCorpus() {
  return {{"football match goals league", "sports"},
          {"tennis tournament final score", "sports"},
          {"stock market shares investors", "finance"},
          {"bank loan interest rates", "finance"}};
}

TEST(NaiveBayesTest, LearnsTinyCorpus) {
  Result<NaiveBayesModel> model = NaiveBayesModel::Train(TinyCorpus(), {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->labels(), (std::vector<std::string>{"sports", "finance"}));
  const Prediction sports = model->Predict("The league final: goals in the match");
  EXPECT_EQ(sports.label, "sports");
  EXPECT_GT(sports.score, 0.5);
  EXPECT_LE(sports.score, 1.0);
  EXPECT_EQ(model->Predict("interest rates at the bank").label, "finance");
}

TEST(NaiveBayesTest, UnknownTextGetsFirstLabelOnTiedPrior) {
  Result<NaiveBayesModel> model = NaiveBayesModel::Train(TinyCorpus(), {});
  ASSERT_TRUE(model.ok());
  const Prediction p = model->Predict("zzz qqq");
  EXPECT_EQ(p.label, "sports");
  EXPECT_DOUBLE_EQ(p.score, 0.5);
}

TEST(NaiveBayesTest, RefusesUnusableTrainingData) {
  EXPECT_FALSE(NaiveBayesModel::Train({}, {}).ok());
  EXPECT_FALSE(NaiveBayesModel::Train({{"only one label", "a"}}, {}).ok());
  EXPECT_FALSE(NaiveBayesModel::Train({{"text", ""}, {"other", "b"}}, {}).ok());
  TrainOptions bad;
  bad.alpha = 0;
  EXPECT_FALSE(NaiveBayesModel::Train(TinyCorpus(), bad).ok());
}

TEST(NaiveBayesTest, FromParametersRejectsInconsistentShapes) {
  Result<NaiveBayesModel> model = NaiveBayesModel::Train(TinyCorpus(), {});
  ASSERT_TRUE(model.ok());
  NaiveBayesModel::Parameters p = model->parameters();
  EXPECT_TRUE(NaiveBayesModel::FromParameters(p).ok());
  auto broken = p;
  broken.log_likelihoods.pop_back();
  EXPECT_FALSE(NaiveBayesModel::FromParameters(broken).ok());
  broken = p;
  std::swap(broken.vocabulary[0], broken.vocabulary[1]);
  EXPECT_FALSE(NaiveBayesModel::FromParameters(broken).ok());
  broken = p;
  broken.labels[1] = broken.labels[0];
  EXPECT_FALSE(NaiveBayesModel::FromParameters(broken).ok());
  broken = p;
  broken.log_priors[0] = 0.5;  // a probability above 1
  EXPECT_FALSE(NaiveBayesModel::FromParameters(broken).ok());
}

TEST(NaiveBayesTest, ShippedCorpusHeldOutAccuracyWellAboveChance) {
  Result<std::vector<LabeledText>> corpus = ReadCorpus(kCorpus);
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  ASSERT_GE(corpus->size(), 450u);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Split split = StratifiedSplit(*corpus, 0.2, seed);
    Result<NaiveBayesModel> model = NaiveBayesModel::Train(split.train, {});
    ASSERT_TRUE(model.ok());
    const Evaluation eval = Evaluate(*model, split.test);
    const double chance = 1.0 / static_cast<double>(model->labels().size());
    EXPECT_GE(eval.total, 90u);
    EXPECT_GT(eval.accuracy(), 0.75) << "seed " << seed << "\n" << eval.Report();
    EXPECT_GT(eval.accuracy(), 5 * chance);
  }
}

TEST(NaiveBayesTest, StratifiedSplitIsDeterministicAndDisjoint) {
  Result<std::vector<LabeledText>> corpus = ReadCorpus(kCorpus);
  ASSERT_TRUE(corpus.ok());
  const Split a = StratifiedSplit(*corpus, 0.2, 7);
  const Split b = StratifiedSplit(*corpus, 0.2, 7);
  const Split c = StratifiedSplit(*corpus, 0.2, 8);
  ASSERT_EQ(a.test.size(), b.test.size());
  EXPECT_EQ(a.train.size() + a.test.size(), corpus->size());
  bool differs = false;
  for (std::size_t i = 0; i < a.test.size(); ++i) {
    EXPECT_EQ(a.test[i].text, b.test[i].text);
    differs = differs || a.test[i].text != c.test[i].text;
    for (const LabeledText& t : a.train) ASSERT_NE(t.text, a.test[i].text);
  }
  EXPECT_TRUE(differs);
}

TEST(NaiveBayesTest, PredictionsAreBitForBitDeterministic) {
  Result<std::vector<LabeledText>> corpus = ReadCorpus(kCorpus);
  ASSERT_TRUE(corpus.ok());
  Result<NaiveBayesModel> first = NaiveBayesModel::Train(*corpus, {});
  Result<NaiveBayesModel> second = NaiveBayesModel::Train(*corpus, {});
  ASSERT_TRUE(first.ok() && second.ok());
  for (const LabeledText& example : *corpus) {
    const Prediction a = first->Predict(example.text);
    const Prediction b = second->Predict(example.text);
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.score, b.score);  // exact, not approximate
  }
}

TEST(NaiveBayesTest, EvaluateOnHoldoutValidatesFraction) {
  EXPECT_FALSE(EvaluateOnHoldout(kCorpus, 0.0, 1, {}).ok());
  EXPECT_FALSE(EvaluateOnHoldout(kCorpus, 1.0, 1, {}).ok());
  Result<Evaluation> eval = EvaluateOnHoldout(kCorpus, 0.2, 1, {});
  ASSERT_TRUE(eval.ok());
  EXPECT_NE(eval->Report().find("accuracy"), std::string::npos);
}

}  // namespace
}  // namespace sieve::classifier
