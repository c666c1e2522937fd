// Corpus: loading a labelled training corpus and measuring a model on a held-out split.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "classifier/naive_bayes.h"
#include "common/status.h"

namespace sieve::classifier {

// Reads a CSV (RFC 4180, common/csv_record.h rules) with (at least) the columns `text` and
// `label`, in any order; other columns are ignored. NotFound for a missing file; Corrupt with
// "path:line: reason" for malformed CSV, a wrong field count or an empty label; InvalidArgument
// without the two columns. Holds the whole file in memory (corpora are small).
Result<std::vector<LabeledText>> ReadCorpus(const std::string& path);

struct Split {
  std::vector<LabeledText> train;
  std::vector<LabeledText> test;
};

// Stratified split: within each label (in order of first appearance) the examples are shuffled
// with a Fisher-Yates shuffle driven by std::mt19937_64(seed) (identical on every platform), and
// round(fraction * count) of them, at least one when the label has two or more examples, go to
// `test`. REQUIRES: 0 < holdout_fraction < 1.
Split StratifiedSplit(const std::vector<LabeledText>& examples, double holdout_fraction,
                      std::uint64_t seed);

struct Evaluation {
  std::size_t total = 0;
  std::size_t correct = 0;
  std::vector<std::string> labels;                  // the model's labels
  std::vector<std::vector<std::size_t>> confusion;  // [true label][predicted label]

  double accuracy() const { return total == 0 ? 0.0 : static_cast<double>(correct) / total; }
  // A plain-text report: accuracy, per-label precision / recall, the confusion matrix.
  std::string Report() const;
};

// Classifies every example of `test` with `model`. Examples whose label the model does not
// know count as wrong (and are left out of the confusion matrix).
Evaluation Evaluate(const NaiveBayesModel& model, const std::vector<LabeledText>& test);

}  // namespace sieve::classifier
