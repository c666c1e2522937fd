// Tokenizer: turns website text into the word tokens the classifier counts.
//
// Rules (deterministic, locale-independent):
//   - ASCII letters are lowercased; ASCII digits and letters form tokens; every other ASCII
//     byte (space, punctuation, control) separates tokens.
//   - A well-formed UTF-8 multibyte sequence is kept inside the token (so "café", "münchen"
//     and "新闻" are tokens), except Unicode punctuation and spaces (Latin-1 symbols
//     U+00A0..U+00BF, U+00D7, U+00F7, General Punctuation U+2000..U+206F, currency symbols
//     U+20A0..U+20CF, CJK punctuation U+3000..U+303F, U+FEFF), which separate tokens.
//   - Malformed UTF-8 bytes separate tokens (they never reach the model).
//   - Tokens shorter than kMinTokenChars characters, pure numbers, and English stopwords are
//     dropped; tokens longer than kMaxTokenBytes bytes are dropped (scraped text holds long
//     base64 or tracking blobs that carry no meaning).
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sieve::classifier {

inline constexpr std::size_t kMinTokenChars = 2;
inline constexpr std::size_t kMaxTokenBytes = 40;

// Returns the tokens of `text` in order of appearance (duplicates kept). Cost: O(text size).
// At most `max_tokens` tokens are returned; later text is ignored.
std::vector<std::string> Tokenize(std::string_view text, std::size_t max_tokens = 100000);

// True when `token` (already lowercased) is an English stopword.
bool IsStopword(std::string_view token);

}  // namespace sieve::classifier
