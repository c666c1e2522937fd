#include "classifier/naive_bayes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "classifier/tokenizer.h"

namespace sieve::classifier {
namespace {

// Per-label token counts, keyed by token so the vocabulary comes out sorted.
struct Counts {
  std::vector<std::string> labels;
  std::vector<std::uint64_t> docs_per_label;
  std::map<std::string, std::vector<std::uint64_t>> token_counts;
};

Result<Counts> CountTokens(const std::vector<LabeledText>& examples) {
  Counts counts;
  std::map<std::string, std::size_t> label_index;
  for (const LabeledText& example : examples) {
    if (example.label.empty())
      return Status::InvalidArgument("training example has an empty label");
    auto [it, inserted] = label_index.emplace(example.label, counts.labels.size());
    if (inserted) {
      counts.labels.push_back(example.label);
      counts.docs_per_label.push_back(0);
    }
    ++counts.docs_per_label[it->second];
    for (std::string& token : Tokenize(example.text)) {
      auto& row = counts.token_counts[std::move(token)];
      row.resize(label_index.size(), 0);
      ++row[it->second];
    }
  }
  for (auto& [token, row] : counts.token_counts) row.resize(counts.labels.size(), 0);
  return counts;
}

bool IsLogProbability(double v) { return std::isfinite(v) && v <= 0.0; }

}  // namespace

NaiveBayesModel::NaiveBayesModel(Parameters params) : params_(std::move(params)) {
  token_index_.reserve(params_.vocabulary.size());
  for (std::uint32_t i = 0; i < params_.vocabulary.size(); ++i) {
    token_index_.emplace(params_.vocabulary[i], i);
  }
}

Result<NaiveBayesModel> NaiveBayesModel::Train(const std::vector<LabeledText>& examples,
                                               const TrainOptions& options) {
  if (examples.empty()) return Status::InvalidArgument("no training examples");
  if (!(options.alpha > 0.0) || !std::isfinite(options.alpha)) {
    return Status::InvalidArgument("smoothing alpha must be a positive number");
  }
  Result<Counts> counted = CountTokens(examples);
  if (!counted.ok()) return counted.status();
  Counts& counts = counted.value();
  const std::size_t num_labels = counts.labels.size();
  if (num_labels < 2) return Status::InvalidArgument("training data needs at least two labels");

  Parameters params;
  params.labels = counts.labels;
  for (std::uint64_t docs : counts.docs_per_label) {
    params.log_priors.push_back(std::log(static_cast<double>(docs) / examples.size()));
  }
  std::vector<double> totals(num_labels, 0.0);
  for (auto& [token, row] : counts.token_counts) {
    std::uint64_t sum = 0;
    for (std::uint64_t c : row) sum += c;
    if (sum < options.min_count) continue;
    params.vocabulary.push_back(token);
    for (std::size_t l = 0; l < num_labels; ++l) totals[l] += static_cast<double>(row[l]);
  }
  const double vocab = static_cast<double>(params.vocabulary.size());
  for (const std::string& token : params.vocabulary) {
    const auto& row = counts.token_counts[token];
    for (std::size_t l = 0; l < num_labels; ++l) {
      params.log_likelihoods.push_back(
          std::log((row[l] + options.alpha) / (totals[l] + options.alpha * vocab)));
    }
  }
  return NaiveBayesModel(std::move(params));
}

Result<NaiveBayesModel> NaiveBayesModel::FromParameters(Parameters params) {
  const std::size_t num_labels = params.labels.size();
  if (num_labels < 2) return Status::Corrupt("model has fewer than two labels");
  if (params.log_priors.size() != num_labels) return Status::Corrupt("model prior count mismatch");
  if (params.log_likelihoods.size() != params.vocabulary.size() * num_labels) {
    return Status::Corrupt("model likelihood table size mismatch");
  }
  std::set<std::string_view> seen;
  for (const std::string& label : params.labels) {
    if (label.empty() || !seen.insert(label).second) {
      return Status::Corrupt("model labels must be non-empty and unique");
    }
  }
  for (std::size_t i = 0; i < params.vocabulary.size(); ++i) {
    if (params.vocabulary[i].empty() ||
        (i > 0 && params.vocabulary[i - 1] >= params.vocabulary[i])) {
      return Status::Corrupt("model vocabulary is not sorted and unique at entry " +
                             std::to_string(i));
    }
  }
  if (!std::all_of(params.log_priors.begin(), params.log_priors.end(), IsLogProbability) ||
      !std::all_of(params.log_likelihoods.begin(), params.log_likelihoods.end(),
                   IsLogProbability)) {
    return Status::Corrupt("model holds a probability that is not a finite logarithm <= 0");
  }
  return NaiveBayesModel(std::move(params));
}

Prediction NaiveBayesModel::Predict(std::string_view text) const {
  const std::size_t num_labels = params_.labels.size();
  std::vector<double> scores = params_.log_priors;
  for (const std::string& token : Tokenize(text)) {
    auto it = token_index_.find(token);
    if (it == token_index_.end()) continue;
    const double* row = &params_.log_likelihoods[static_cast<std::size_t>(it->second) * num_labels];
    for (std::size_t l = 0; l < num_labels; ++l) scores[l] += row[l];
  }
  const std::size_t best =
      static_cast<std::size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  double normalizer = 0.0;
  for (double s : scores) normalizer += std::exp(s - scores[best]);
  return Prediction{params_.labels[best], 1.0 / normalizer};
}

}  // namespace sieve::classifier
