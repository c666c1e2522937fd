// LabelSet: the allowed labels of a job (--labels), and the normalisation that maps a model's
// free-text answer to exactly one of them.
//
// Normalise(answer), in order:
//   1. trim ASCII whitespace, surrounding quotes (" ' ` and the typographic “ ” ‘ ’) and
//      trailing punctuation (. , ; : ! ?), repeatedly ("  \"News.\" " -> News);
//   2. a case-insensitive exact match of an allowed label -> that label, as --labels spells it;
//   3. otherwise, when the answer is a short sentence (at most kMaxSentenceWords words and
//      kMaxSentenceBytes bytes), the allowed labels found in it as whole words
//      (case-insensitive; a word boundary is the text's edge or an ASCII byte that is not a
//      letter, digit, '-' or '_'): exactly one distinct label -> that label;
//   4. anything else (no label, two labels, a long text) -> nullopt: the answer is invalid.
// "The category is: News." -> news; "I think it's cooking" -> invalid; "news or sports" ->
// invalid. Cost: O(answer size x labels) for a short answer, O(answer size) otherwise.
//
// Thread-safety: immutable after Create; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sieve {

class LabelSet {
 public:
  static constexpr size_t kMaxSentenceWords = 16;
  static constexpr size_t kMaxSentenceBytes = 256;

  // REQUIRES: labels are non-empty and distinct case-insensitively (the client checks them).
  explicit LabelSet(std::vector<std::string> labels);

  bool empty() const { return labels_.empty(); }
  const std::vector<std::string>& labels() const { return labels_; }

  // The allowed label `answer` stands for, or nullopt.
  std::optional<std::string> Normalise(std::string_view answer) const;

 private:
  std::vector<std::string> labels_;
  std::vector<std::string> lower_;  // labels_ in ASCII lowercase
};

// `answer "..."  is not one of the labels`, the answer cut to 80 bytes, control bytes blanked.
std::string InvalidAnswerReason(std::string_view answer);
// True when `reason` is one InvalidAnswerReason made.
bool IsInvalidAnswerReason(std::string_view reason);

}  // namespace sieve
