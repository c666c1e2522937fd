#include "worker/label_set.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(LabelSetTest, NormalisationTable) {
  const LabelSet set({"news", "sports", "e-commerce", "Health", "real estate"});
  struct Case {
    const char* answer;
    const char* want;  // nullptr: invalid
  };
  const Case cases[] = {
      {"news", "news"},
      {"News", "news"},
      {"  NEWS \n", "news"},
      {"news.", "news"},
      {"\"news\"", "news"},
      {"'Sports'!", "sports"},
      {"`news`", "news"},
      {"\u201cnews\u201d", "news"},
      {" \"News.\" ", "news"},
      {"health", "Health"},  // the label as --labels spells it
      {"The category is: News.", "news"},
      {"Category: sports", "sports"},
      {"I would say this is e-commerce.", "e-commerce"},
      {"Real Estate", "real estate"},
      {"it is real estate", "real estate"},
      {"I think it's cooking", nullptr},
      {"newsletter", nullptr},          // not a whole word
      {"sportsnews", nullptr},
      {"e-commerce-ish", nullptr},
      {"news or sports", nullptr},      // two labels: ambiguous
      {"", nullptr},
      {"...", nullptr},
      {"This long answer rambles on and on about many things before it finally mentions that "
       "the page is probably news",
       nullptr},                        // not a short sentence
  };
  for (const Case& c : cases) {
    std::optional<std::string> got = set.Normalise(c.answer);
    if (c.want == nullptr) {
      EXPECT_FALSE(got.has_value()) << "'" << c.answer << "' -> " << got.value_or("");
    } else {
      EXPECT_EQ(got.value_or("<invalid>"), c.want) << "'" << c.answer << "'";
    }
  }
}

TEST(LabelSetTest, InvalidAnswerReason) {
  EXPECT_EQ(InvalidAnswerReason("I think it's cooking"),
            "answer \"I think it's cooking\" is not one of the labels");
  EXPECT_EQ(InvalidAnswerReason("a\nb"), "answer \"a b\" is not one of the labels");
  EXPECT_EQ(InvalidAnswerReason(std::string(100, 'x')).size(),
            std::string("answer \"\" is not one of the labels").size() + 83);
}

}  // namespace
}  // namespace sieve
