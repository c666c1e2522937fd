#include "classifier/corpus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "common/csv_record.h"
#include "common/file_util.h"

namespace sieve::classifier {

namespace {

// Index of `name` in `header`, or header.size() when absent.
std::size_t ColumnIndex(const RecordFields& header, std::string_view name) {
  std::size_t i = 0;
  while (i < header.size() && header[i] != name) ++i;
  return i;
}

}  // namespace

Result<std::vector<LabeledText>> ReadCorpus(const std::string& path) {
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  RecordIterator records(*bytes);
  RecordFields fields;
  std::string_view record;
  std::size_t text_col = 0, label_col = 0, columns = 0;
  std::vector<LabeledText> examples;
  for (std::uint64_t n = 0;; ++n) {
    Result<bool> more = records.Next(&record);
    auto where = [&] { return path + ":" + std::to_string(records.record_line_offset() + 1); };
    if (!more.ok()) return Status::Corrupt(where() + ": " + more.status().message());
    if (!*more) break;
    Status parsed = ParseRecord(record, &fields);
    if (!parsed.ok()) return Status::Corrupt(where() + ": " + parsed.message());
    if (n == 0) {
      columns = fields.size();
      text_col = ColumnIndex(fields, "text");
      label_col = ColumnIndex(fields, "label");
      if (text_col == columns || label_col == columns) {
        return Status::InvalidArgument(path + ": a corpus needs the columns 'text' and 'label'");
      }
    } else if (fields.size() != columns) {
      return Status::Corrupt(where() + ": " + std::to_string(fields.size()) +
                             " fields, the header has " + std::to_string(columns));
    } else if (fields[label_col].empty()) {
      return Status::Corrupt(where() + ": empty label");
    } else {
      examples.push_back({std::string(fields[text_col]), std::string(fields[label_col])});
    }
  }
  if (columns == 0) return Status::InvalidArgument(path + ": empty corpus file");
  return examples;
}

Split StratifiedSplit(const std::vector<LabeledText>& examples, double holdout_fraction,
                      std::uint64_t seed) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const LabeledText*>> by_label;
  for (const LabeledText& e : examples) {
    auto& group = by_label[e.label];
    if (group.empty()) order.push_back(e.label);
    group.push_back(&e);
  }
  std::mt19937_64 rng(seed);
  Split split;
  for (const std::string& label : order) {
    auto& group = by_label[label];
    for (std::size_t i = group.size(); i > 1; --i) {  // Fisher-Yates, platform-independent
      std::swap(group[i - 1], group[rng() % i]);
    }
    auto holdout = static_cast<std::size_t>(std::lround(holdout_fraction * group.size()));
    if (group.size() >= 2) holdout = std::clamp<std::size_t>(holdout, 1, group.size() - 1);
    for (std::size_t i = 0; i < group.size(); ++i) {
      (i < holdout ? split.test : split.train).push_back(*group[i]);
    }
  }
  return split;
}

Evaluation Evaluate(const NaiveBayesModel& model, const std::vector<LabeledText>& test) {
  Evaluation eval;
  eval.labels = model.labels();
  const std::size_t n = eval.labels.size();
  eval.confusion.assign(n, std::vector<std::size_t>(n, 0));
  auto index_of = [&](const std::string& label) {
    return static_cast<std::size_t>(std::find(eval.labels.begin(), eval.labels.end(), label) -
                                    eval.labels.begin());
  };
  for (const LabeledText& example : test) {
    const std::size_t predicted = index_of(model.Predict(example.text).label);
    const std::size_t truth = index_of(example.label);
    ++eval.total;
    if (truth == n) continue;
    ++eval.confusion[truth][predicted];
    if (truth == predicted) ++eval.correct;
  }
  return eval;
}

std::string Evaluation::Report() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "accuracy %.4f (%zu/%zu)\n\n%-14s %9s %9s %8s\n", accuracy(),
                correct, total, "label", "precision", "recall", "support");
  out += line;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    std::size_t predicted = 0;
    std::size_t support = 0;
    for (std::size_t k = 0; k < labels.size(); ++k) {
      predicted += confusion[k][l];
      support += confusion[l][k];
    }
    const double precision = predicted == 0 ? 0.0 : double(confusion[l][l]) / predicted;
    const double recall = support == 0 ? 0.0 : double(confusion[l][l]) / support;
    std::snprintf(line, sizeof line, "%-14s %9.3f %9.3f %8zu\n", labels[l].c_str(), precision,
                  recall, support);
    out += line;
  }
  out += "\nconfusion (rows: true label, columns: predicted, in the order above)\n";
  for (std::size_t l = 0; l < labels.size(); ++l) {
    std::snprintf(line, sizeof line, "%-14s", labels[l].c_str());
    out += line;
    for (std::size_t count : confusion[l]) {
      std::snprintf(line, sizeof line, " %3zu", count);
      out += line;
    }
    out += '\n';
  }
  return out;
}

}  // namespace sieve::classifier
