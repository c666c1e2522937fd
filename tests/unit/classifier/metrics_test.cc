// /metrics: valid Prometheus text exposition holding the classifier's metric families.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "tests/unit/classifier/server_test_util.h"

namespace sieve::classifier {
namespace {

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter / gauge / histogram ...
  std::map<std::string, double> samples;     // "name{labels}" -> value
  std::vector<std::string> errors;
};

// A small checker for the text format (version 0.0.4): every line is a comment (# HELP / # TYPE
// name type), or `name{label="value",...} value`; metric and label names follow Prometheus rules.
Exposition ParseExposition(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  Exposition out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.empty() || line.rfind("# HELP ", 0) == 0) continue;
    if (std::regex_match(line, m, kType)) {
      out.types[m[1]] = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      out.samples[m[1].str() + m[2].str()] = std::stod(m[5].str());
    } else {
      out.errors.push_back(line);
    }
  }
  return out;
}

TEST(MetricsTest, ExpositionParsesAndHoldsTheFamilies) {
  ClassifierOptions options;
  options.faults.fail_rate = 0.5;
  options.faults.seed = 3;
  auto server = StartTestServer(options);
  ASSERT_TRUE(server);
  auto client = ClientFor(*server);
  std::map<int, int> by_status;
  for (int i = 0; i < 21; ++i) {
    auto res = client->Post("/classify", i < 20 ? ClassifyBody("football scores") : "not json",
                            "application/json");
    ASSERT_TRUE(res);
    ++by_status[res->status];
  }
  ASSERT_GT(by_status[500], 0);
  ASSERT_GT(by_status[200], 0);
  auto res = client->Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);

  const Exposition exp = ParseExposition(res->body);
  EXPECT_TRUE(exp.errors.empty()) << "unparseable line: " << exp.errors.front();
  EXPECT_EQ(exp.types.at("sieve_classifier_requests_total"), "counter");
  EXPECT_EQ(exp.types.at("sieve_classifier_request_duration_seconds"), "histogram");
  EXPECT_EQ(exp.types.at("sieve_classifier_requests_in_flight"), "gauge");
  EXPECT_EQ(exp.types.at("sieve_classifier_texts_classified_total"), "counter");
  EXPECT_EQ(exp.types.at("sieve_classifier_faults_injected_total"), "counter");

  for (const auto& [status, count] : by_status) {
    EXPECT_EQ(
        exp.samples.at("sieve_classifier_requests_total{code=\"" + std::to_string(status) + "\"}"),
        count);
  }
  EXPECT_EQ(exp.samples.at(R"(sieve_classifier_faults_injected_total{fault="fail"})"),
            by_status[500]);
  EXPECT_EQ(exp.samples.at("sieve_classifier_texts_classified_total"), by_status[200]);
  // Every /classify request is observed, whatever its answer.
  EXPECT_EQ(
      exp.samples.at(R"(sieve_classifier_request_duration_seconds_count{handler="/classify"})"),
      21);
  EXPECT_EQ(
      exp.samples.at(
          R"(sieve_classifier_request_duration_seconds_bucket{handler="/classify",le="+Inf"})"),
      21);
  EXPECT_EQ(exp.samples.at("sieve_classifier_requests_in_flight"), 0);
}

TEST(MetricsTest, CheckerRejectsMalformedLines) {
  EXPECT_FALSE(ParseExposition("metric{code=\"200\" 1\n").errors.empty());
  EXPECT_FALSE(ParseExposition("1metric 1\n").errors.empty());
  EXPECT_FALSE(ParseExposition("metric one\n").errors.empty());
  EXPECT_TRUE(ParseExposition("# TYPE m counter\nm{a=\"x\",b=\"y\"} 2.5e3\n").errors.empty());
}

}  // namespace
}  // namespace sieve::classifier
