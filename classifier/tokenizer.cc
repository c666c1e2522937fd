#include "classifier/tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace sieve::classifier {
namespace {

// Sorted, for binary search.
constexpr std::string_view kStopwords[] = {
    "about",   "above",   "after",  "again",  "all",   "also",  "am",     "an",      "and",
    "any",     "are",     "as",     "at",     "be",    "been",  "before", "being",   "below",
    "between", "both",    "but",    "by",     "can",   "could", "did",    "do",      "does",
    "doing",   "down",    "during", "each",   "few",   "for",   "from",   "further", "had",
    "has",     "have",    "having", "he",     "her",   "here",  "hers",   "him",     "his",
    "how",     "if",      "in",     "into",   "is",    "it",    "its",    "just",    "me",
    "more",    "most",    "my",     "no",     "nor",   "not",   "now",    "of",      "off",
    "on",      "once",    "only",   "or",     "other", "our",   "ours",   "out",     "over",
    "own",     "same",    "she",    "should", "so",    "some",  "such",   "than",    "that",
    "the",     "their",   "theirs", "them",   "then",  "there", "these",  "they",    "this",
    "those",   "through", "to",     "too",    "under", "until", "up",     "us",      "very",
    "was",     "we",      "were",   "what",   "when",  "where", "which",  "while",   "who",
    "whom",    "why",     "will",   "with",   "would", "you",   "your",   "yours",   "yourself"};

// Decodes one UTF-8 sequence at text[i]. Returns its length (2..4) and sets *cp, or returns 0
// when the bytes there are not a well-formed, shortest-form sequence.
std::size_t DecodeUtf8(std::string_view text, std::size_t i, std::uint32_t* cp) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t len = 0;
  std::uint32_t value = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cont = static_cast<unsigned char>(text[i + k]);
    if ((cont & 0xC0) != 0x80) return 0;
    value = (value << 6) | (cont & 0x3F);
  }
  const bool overlong = (len == 3 && value < 0x800) || (len == 4 && value < 0x10000);
  const bool surrogate = value >= 0xD800 && value <= 0xDFFF;
  if (overlong || surrogate || value > 0x10FFFF) return 0;
  *cp = value;
  return len;
}

bool IsUnicodeSeparator(std::uint32_t cp) {
  return (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFEFF;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Accumulates one token; decides at its end whether it is kept.
class TokenBuilder {
 public:
  explicit TokenBuilder(std::vector<std::string>* out) : out_(out) {}

  void AddAscii(char c) {
    token_.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    ++chars_;
    all_digits_ = all_digits_ && c >= '0' && c <= '9';
  }
  void AddMultibyte(std::string_view bytes) {
    token_.append(bytes);
    ++chars_;
    all_digits_ = false;
  }
  void Finish() {
    StripPlural();
    if (chars_ >= kMinTokenChars && token_.size() <= kMaxTokenBytes && !all_digits_ &&
        !IsStopword(token_)) {
      out_->push_back(token_);
    }
    token_.clear();
    chars_ = 0;
    all_digits_ = true;
  }

 private:
  // Light English stemming: "stories" -> "story", "hotels" -> "hotel"; leaves "news", "class",
  // "status", "analysis" and short words alone.
  void StripPlural() {
    if (token_.size() != chars_ || token_.size() < 5 || token_.back() != 's') return;
    const std::string_view t(token_);
    if (t.ends_with("ies")) {
      token_.replace(token_.size() - 3, 3, "y");
      chars_ -= 2;
    } else if (!t.ends_with("ss") && !t.ends_with("us") && !t.ends_with("is") &&
               !t.ends_with("ews")) {
      token_.pop_back();
      --chars_;
    }
  }

  std::vector<std::string>* out_;
  std::string token_;
  std::size_t chars_ = 0;
  bool all_digits_ = true;
};

}  // namespace

bool IsStopword(std::string_view token) {
  return std::binary_search(std::begin(kStopwords), std::end(kStopwords), token);
}

std::vector<std::string> Tokenize(std::string_view text, std::size_t max_tokens) {
  std::vector<std::string> tokens;
  TokenBuilder builder(&tokens);
  std::size_t i = 0;
  while (i < text.size() && tokens.size() < max_tokens) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (IsAsciiAlnum(c)) {
        builder.AddAscii(c);
      } else {
        builder.Finish();
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0 || IsUnicodeSeparator(cp)) {
      builder.Finish();
      i += len == 0 ? 1 : len;
    } else {
      builder.AddMultibyte(text.substr(i, len));
      i += len;
    }
  }
  if (tokens.size() < max_tokens) builder.Finish();
  return tokens;
}

}  // namespace sieve::classifier
