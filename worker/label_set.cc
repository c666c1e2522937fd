#include "worker/label_set.h"

#include <algorithm>
#include <array>

namespace sieve {
namespace {

constexpr std::array<std::string_view, 7> kQuotes = {"\"", "'", "`", "\u201c", "\u201d",
                                                      "\u2018", "\u2019"};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsTrailingPunct(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?';
}
// Bytes that continue a word: ASCII letters, digits, '-', '_' and every non-ASCII byte.
bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Strips one layer of whitespace, quotes and trailing punctuation; true when it changed.
bool StripOnce(std::string_view* s) {
  const size_t before = s->size();
  while (!s->empty() && IsSpace(s->front())) s->remove_prefix(1);
  while (!s->empty() && (IsSpace(s->back()) || IsTrailingPunct(s->back()))) s->remove_suffix(1);
  for (std::string_view q : kQuotes) {
    if (s->starts_with(q)) s->remove_prefix(q.size());
    if (s->ends_with(q)) s->remove_suffix(q.size());
  }
  return s->size() != before;
}

size_t CountWords(std::string_view s) {
  size_t words = 0;
  bool in_word = false;
  for (char c : s) {
    const bool space = IsSpace(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// True when `needle` occurs in `haystack` with a word boundary on both sides.
bool ContainsWord(std::string_view haystack, std::string_view needle) {
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    const bool left = at == 0 || !IsWordByte(haystack[at - 1]);
    const size_t end = at + needle.size();
    const bool right = end == haystack.size() || !IsWordByte(haystack[end]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace

LabelSet::LabelSet(std::vector<std::string> labels) : labels_(std::move(labels)) {
  for (const std::string& label : labels_) lower_.push_back(LowerAscii(label));
}

std::optional<std::string> LabelSet::Normalise(std::string_view answer) const {
  while (StripOnce(&answer)) {
  }
  const std::string lower = LowerAscii(answer);
  for (size_t i = 0; i < lower_.size(); ++i) {
    if (lower == lower_[i]) return labels_[i];
  }
  if (answer.size() > kMaxSentenceBytes || CountWords(answer) > kMaxSentenceWords) {
    return std::nullopt;
  }
  std::optional<size_t> found;
  for (size_t i = 0; i < lower_.size(); ++i) {
    if (!ContainsWord(lower, lower_[i])) continue;
    if (found) return std::nullopt;  // two labels: ambiguous
    found = i;
  }
  if (!found) return std::nullopt;
  return labels_[*found];
}

constexpr std::string_view kInvalidAnswerPrefix = "answer \"";
constexpr std::string_view kInvalidAnswerSuffix = "\" is not one of the labels";

std::string InvalidAnswerReason(std::string_view answer) {
  constexpr size_t kMax = 80;
  std::string shown(answer.substr(0, kMax));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (answer.size() > kMax) shown += "...";
  std::string reason(kInvalidAnswerPrefix);
  reason.append(shown).append(kInvalidAnswerSuffix);
  return reason;
}

bool IsInvalidAnswerReason(std::string_view reason) {
  return reason.starts_with(kInvalidAnswerPrefix) && reason.ends_with(kInvalidAnswerSuffix);
}

}  // namespace sieve
