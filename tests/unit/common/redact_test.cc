#include "common/redact.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(RedactUrlTest, HidesUserinfo) {
  EXPECT_EQ(RedactUrl("https://alice:s3cret@api.example.com/classify"),
            "https://<redacted>@api.example.com/classify");
  EXPECT_EQ(RedactUrl("http://token@host:8080"), "http://<redacted>@host:8080");
}

TEST(RedactUrlTest, HidesQueryValuesButKeepsKeys) {
  EXPECT_EQ(RedactUrl("http://h/classify?api_key=abc&mode=fast&flag"),
            "http://h/classify?api_key=<redacted>&mode=<redacted>&flag");
}

TEST(RedactUrlTest, DropsFragmentAndKeepsPlainUrls) {
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8000/classify"), "http://127.0.0.1:8000/classify");
  EXPECT_EQ(RedactUrl("http://h/p#frag"), "http://h/p");
  EXPECT_EQ(RedactUrl("http://h?x=1"), "http://h?x=<redacted>");
}

TEST(RedactUrlTest, AtSignInPathIsNotUserinfo) {
  EXPECT_EQ(RedactUrl("http://h/users/@me"), "http://h/users/@me");
}

TEST(RedactUrlTest, NonUrlsComeBackUnchanged) {
  EXPECT_EQ(RedactUrl(""), "");
  EXPECT_EQ(RedactUrl("not a url"), "not a url");
}

}  // namespace
}  // namespace sieve
