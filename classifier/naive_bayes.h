// NaiveBayesModel: a multinomial Naive Bayes text classifier over website categories.
//
// Training counts token occurrences per label (Tokenize() of each text), keeps the vocabulary
// sorted by token bytes, and stores Laplace-smoothed log P(token | label) and log P(label).
// Prediction sums log-likelihoods of the known tokens of the text in order, adds the prior,
// and answers the label with the highest posterior and that posterior (softmax) as the score.
// Tokens absent from the vocabulary are ignored; a text with no known token gets the label
// with the highest prior.
//
// Determinism: for a given model and text the answer is bit-for-bit identical across runs and
// threads (fixed summation order; ties go to the label listed first).
//
// Thread-safety: a const model is safe to use from any number of threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace sieve::classifier {

struct LabeledText {
  std::string text;
  std::string label;
};

struct TrainOptions {
  double alpha = 0.1;           // additive (Laplace/Lidstone) smoothing; must be > 0
  std::uint32_t min_count = 1;  // drop tokens seen fewer times than this in the whole corpus
};

struct Prediction {
  std::string label;
  double score = 0;  // posterior probability of `label`, in [0, 1]
};

class NaiveBayesModel {
 public:
  // The model's parameters, exactly as stored in a model file.
  struct Parameters {
    std::vector<std::string> labels;      // unique, non-empty
    std::vector<double> log_priors;       // one per label, each <= 0
    std::vector<std::string> vocabulary;  // strictly increasing byte order
    std::vector<double> log_likelihoods;  // vocabulary.size() * labels.size(), row = token
  };

  // Trains on `examples`. Labels are ordered by first appearance in `examples`.
  // Fails with InvalidArgument when there are no examples, fewer than two labels, an empty
  // label, or alpha <= 0.
  static Result<NaiveBayesModel> Train(const std::vector<LabeledText>& examples,
                                       const TrainOptions& options);

  // Builds a model from stored parameters after checking their shape and values
  // (Corrupt on any inconsistency: sizes, ordering, duplicates, non-finite or positive logs).
  static Result<NaiveBayesModel> FromParameters(Parameters params);

  // Classifies `text`. Never fails.
  Prediction Predict(std::string_view text) const;

  const std::vector<std::string>& labels() const { return params_.labels; }
  const Parameters& parameters() const { return params_; }

 private:
  explicit NaiveBayesModel(Parameters params);

  Parameters params_;
  std::unordered_map<std::string, std::uint32_t> token_index_;
};

}  // namespace sieve::classifier
