#include "classifier/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sieve::classifier {
namespace {

using Tokens = std::vector<std::string>;

TEST(TokenizerTest, LowercasesAsciiAndSplitsOnPunctuation) {
  EXPECT_EQ(Tokenize("Breaking NEWS: Senate-votes, budget!"),
            (Tokens{"breaking", "news", "senate", "vote", "budget"}));
}

TEST(TokenizerTest, DropsStopwordsShortTokensAndNumbers) {
  EXPECT_EQ(Tokenize("the a I of 2024 x9 and 42 covid19"), (Tokens{"x9", "covid19"}));
}

TEST(TokenizerTest, StripsEnglishPluralsConservatively) {
  EXPECT_EQ(Tokenize("stories hotels news class status analysis bus"),
            (Tokens{"story", "hotel", "news", "class", "status", "analysis", "bus"}));
}

TEST(TokenizerTest, KeepsUtf8LettersInsideTokens) {
  EXPECT_EQ(Tokenize("Café MÜNCHEN Santé 新闻"), (Tokens{"café", "mÜnchen", "santé", "新闻"}));
}

TEST(TokenizerTest, UnicodePunctuationSeparates) {
  // em dash, curly quotes, non-breaking space, guillemets, ideographic full stop
  EXPECT_EQ(Tokenize("health\u2014care \u201cquoted\u201d\u00a0word \u00abfran\u00e7ais\u00bb "
                     "\u65b0\u95fb\u3002\u4f53\u80b2"),
            (Tokens{"health", "care", "quoted", "word", "français", "新闻", "体育"}));
}

TEST(TokenizerTest, MalformedUtf8SeparatesAndNeverReachesTokens) {
  const std::string text = std::string(
      "good\xff\xfe"
      "bad\xc3"
      "ok\xe2\x82"
      "end");
  EXPECT_EQ(Tokenize(text), (Tokens{"good", "bad", "ok", "end"}));
}

TEST(TokenizerTest, RejectsOverlongEncodingsAndSurrogates) {
  // "\xc0\xaf" is an overlong '/', "\xed\xa0\x80" a UTF-16 surrogate: both separators.
  EXPECT_EQ(Tokenize("ab\xc0\xaf"
                     "cd\xed\xa0\x80"
                     "ef"),
            (Tokens{"ab", "cd", "ef"}));
}

TEST(TokenizerTest, DropsOverlongTokensAndHonorsLimit) {
  const std::string blob(kMaxTokenBytes + 1, 'q');
  EXPECT_EQ(Tokenize("keep " + blob + " this"), (Tokens{"keep"}));
  EXPECT_EQ(Tokenize("one two three four five", 2), (Tokens{"one", "two"}));
}

TEST(TokenizerTest, EmptyAndSeparatorOnlyInputs) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" ,.;!?\n\t\r\"'").empty());
}

}  // namespace
}  // namespace sieve::classifier
