#include "classifier/commands.h"

#include "classifier/model_file.h"

namespace sieve::classifier {

Result<NaiveBayesModel> TrainFromCorpus(const std::string& corpus_path, const std::string& output,
                                        const TrainOptions& options) {
  Result<std::vector<LabeledText>> corpus = ReadCorpus(corpus_path);
  if (!corpus.ok()) return corpus.status();
  Result<NaiveBayesModel> model = NaiveBayesModel::Train(*corpus, options);
  if (!model.ok()) return model.status();
  SIEVE_RETURN_IF_ERROR(SaveModel(*model, output));
  return model;
}

Result<Evaluation> EvaluateOnHoldout(const std::string& corpus_path, double holdout_fraction,
                                     std::uint64_t seed, const TrainOptions& options) {
  if (!(holdout_fraction > 0.0 && holdout_fraction < 1.0)) {
    return Status::InvalidArgument("--holdout must be strictly between 0 and 1");
  }
  Result<std::vector<LabeledText>> corpus = ReadCorpus(corpus_path);
  if (!corpus.ok()) return corpus.status();
  const Split split = StratifiedSplit(*corpus, holdout_fraction, seed);
  Result<NaiveBayesModel> model = NaiveBayesModel::Train(split.train, options);
  if (!model.ok()) return model.status();
  return Evaluate(*model, split.test);
}

}  // namespace sieve::classifier
