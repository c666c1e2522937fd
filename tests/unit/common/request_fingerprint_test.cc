#include "common/request_fingerprint.h"

#include <gtest/gtest.h>

#include <set>

namespace sieve {
namespace {

FingerprintInputs Base() {
  FingerprintInputs in;
  in.endpoint = "http://model:8000/classify";
  in.label_field = "label";
  in.labels = {"spam", "ham"};
  in.headers = {"Content-Type: application/json", "Authorization: Bearer sk-one"};
  return in;
}

std::string Hex(const FingerprintInputs& in, std::string_view body) {
  return ToHex(RequestFingerprinter(in).Of(body));
}

TEST(RequestFingerprintTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RequestFingerprintTest, SameRequestSameFingerprint) {
  EXPECT_EQ(Hex(Base(), R"({"a":"1"})"), Hex(Base(), R"({"a":"1"})"));
}

TEST(RequestFingerprintTest, EverythingThatDecidesTheAnswerChangesIt) {
  const std::string base = Hex(Base(), "body");
  std::set<std::string> seen{base};
  auto differs = [&](FingerprintInputs in, std::string_view body = "body") {
    std::string fp = Hex(in, body);
    EXPECT_TRUE(seen.insert(fp).second) << "collides with an earlier variant";
  };
  differs(Base(), "body2");
  FingerprintInputs in = Base();
  in.endpoint = "http://model:8001/classify";
  differs(in);
  in = Base();
  in.method = "PUT";
  differs(in);
  in = Base();
  in.label_field = "class";
  differs(in);
  in = Base();
  in.labels = {"spam", "ham", "eggs"};
  differs(in);
  in = Base();
  in.batch = true;
  differs(in);
  in = Base();
  in.headers.push_back("X-Model: v2");
  differs(in);
  in = Base();
  in.headers[0] = "Content-Type: text/plain";
  differs(in);
}

TEST(RequestFingerprintTest, CredentialValuesDoNotCountOnlyTheirPresence) {
  FingerprintInputs other_key = Base();
  other_key.headers[1] = "Authorization: Bearer sk-two";
  EXPECT_EQ(Hex(Base(), "b"), Hex(other_key, "b"));
  FingerprintInputs no_key = Base();
  no_key.headers.pop_back();
  EXPECT_NE(Hex(Base(), "b"), Hex(no_key, "b"));
  // The key's bytes are nowhere in the encoding.
  EXPECT_EQ(RequestFingerprinter(Base()).prefix().find("sk-one"), std::string::npos);
  // --secret-header names and ${secret:NAME} references count as credentials too.
  FingerprintInputs custom = Base();
  custom.secret_headers = {"X-Token"};
  custom.headers.push_back("X-Token: abc");
  FingerprintInputs custom2 = custom;
  custom2.headers.back() = "x-token: def";
  EXPECT_EQ(Hex(custom, "b"), Hex(custom2, "b"));
  FingerprintInputs ref = Base();
  ref.headers.push_back("X-Other: Bearer ${secret:FOO}");
  FingerprintInputs ref2 = Base();
  ref2.headers.push_back("X-Other: Bearer ${secret:BAR}");
  EXPECT_EQ(Hex(ref, "b"), Hex(ref2, "b"));
}

TEST(RequestFingerprintTest, OrderOfHeadersAndLabelsAndNameCaseDoNotMatter) {
  FingerprintInputs in = Base();
  std::swap(in.headers[0], in.headers[1]);
  std::swap(in.labels[0], in.labels[1]);
  in.headers[1] = "content-type:application/json";
  EXPECT_EQ(Hex(Base(), "b"), Hex(in, "b"));
}

TEST(RequestFingerprintTest, LengthPrefixesKeepFieldBoundaries) {
  FingerprintInputs a = Base();
  a.endpoint = "http://x/ab";
  a.method = "c";
  FingerprintInputs b = Base();
  b.endpoint = "http://x/a";
  b.method = "bc";
  EXPECT_NE(Hex(a, "b"), Hex(b, "b"));
}

TEST(RequestFingerprintTest, CacheKeyDependsOnTheNamespace) {
  Fingerprint fp = RequestFingerprinter(Base()).Of("b");
  EXPECT_NE(ToHex(CacheKey("local", fp)), ToHex(CacheKey("client:KEY", fp)));
  EXPECT_EQ(ToHex(CacheKey("local", fp)), ToHex(CacheKey("local", fp)));
}

TEST(RequestFingerprintTest, HexRoundTripsAndRefusesGarbage) {
  Fingerprint fp = Sha256("x");
  Fingerprint back{};
  ASSERT_TRUE(FromHex(ToHex(fp), &back));
  EXPECT_EQ(back, fp);
  EXPECT_FALSE(FromHex("zz", &back));
  EXPECT_FALSE(FromHex(std::string(64, 'G'), &back));
  EXPECT_FALSE(FromHex(std::string(64, 'A'), &back));  // lower case only
}

}  // namespace
}  // namespace sieve
