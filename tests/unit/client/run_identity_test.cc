#include "client/run_identity.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "broker/job_secrets.h"

namespace sieve {
namespace {

class RunIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/run_identity_test.csv";
    Write("website,content\na.com,hello\n");
    request_.inputs = {path_};
    request_.spec.endpoint = "http://model:8000/classify";
    request_.spec.label_column = "label";
    request_.spec.headers = {"Authorization: Bearer key-1", "X-Team: data"};
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  // The spec a run of request_ would submit.
  proto::JobSpec Wanted(bool bundled = false) {
    proto::JobSpec spec = request_.spec;
    Result<std::string> inputs = RunInputsOf(request_, bundled);
    EXPECT_TRUE(inputs.ok()) << inputs.status().ToString();
    spec.run_inputs = inputs.ok() ? *inputs : "";
    return spec;
  }
  // The spec as the broker stores it: credential headers withheld.
  static proto::JobSpec Stored(proto::JobSpec spec) {
    (void)TakeCredentialHeaders(spec);
    return spec;
  }

  std::string path_;
  JobRequest request_;
};

TEST_F(RunIdentityTest, InputsAreNamedBySizeAndSha256WithTheChunking) {
  Result<std::string> inputs = RunInputsOf(request_, false);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  // sha256("website,content\na.com,hello\n"), 28 bytes.
  EXPECT_EQ(*inputs,
            "sieve-run-v1 endpoint=given chunk_rows=1000 chunk_bytes=4194304 inputs=28:"
            "3a2d0633f251625071c85e51e072ff26602ffc76c9177b453f43fbc203f2579b");
}

TEST_F(RunIdentityTest, TheSameRunDiffersInNothing) {
  proto::JobSpec stored = Stored(Wanted());
  EXPECT_TRUE(RunDifferences(stored, Wanted()).empty());
}

TEST_F(RunIdentityTest, BudgetCredentialValuesAndNameMayChange) {
  proto::JobSpec stored = Stored(Wanted());
  stored.max_cost = "1.5";
  stored.name = "in.csv";
  request_.spec.max_cost = "10";
  request_.spec.max_tokens = 5000;
  request_.spec.name = "/abs/in.csv";
  request_.spec.headers = {"X-Team: data", "authorization: Bearer key-2"};  // rotated key
  EXPECT_TRUE(RunDifferences(stored, Wanted()).empty());
}

TEST_F(RunIdentityTest, OptionsThatChangeTheOutputAreNamed) {
  proto::JobSpec stored = Stored(Wanted());
  request_.spec.endpoint = "http://other:8000/classify";
  request_.spec.label_column = "category";
  request_.spec.body_template = R"({"text":"{{content}}"})";
  request_.spec.headers = {"X-Team: other"};  // and no Authorization
  std::vector<std::string> diff = RunDifferences(stored, Wanted());
  EXPECT_EQ(diff, (std::vector<std::string>{
                      "--body-template",
                      "--endpoint (was http://model:8000/classify, now http://other:8000/classify)",
                      "--header",
                      "--label-column (was label, now category)",
                      "--header (credential header names) (was authorization, now (none))",
                  }));
}

TEST_F(RunIdentityTest, OtherInputsOrChunkingAreNamed) {
  proto::JobSpec stored = Stored(Wanted());
  Write("website,content\na.com,hellp\n");  // same size, other content
  request_.chunk_rows = 10;
  std::vector<std::string> diff = RunDifferences(stored, Wanted());
  EXPECT_EQ(diff, (std::vector<std::string>{"the inputs (their size or content)",
                                            "--chunk-rows (was 1000, now 10)"}));
}

TEST_F(RunIdentityTest, TheBundledClassifierMatchesOnAnyPortButNotAGivenEndpoint) {
  request_.spec.endpoint = "http://127.0.0.1:41000/classify";
  proto::JobSpec stored = Stored(Wanted(true));
  request_.spec.endpoint.clear();  // the new run has not started its classifier yet
  EXPECT_TRUE(UsesBundledEndpoint(stored.run_inputs));
  EXPECT_TRUE(RunDifferences(stored, Wanted(true)).empty());
  request_.spec.endpoint = "http://model:8000/classify";
  EXPECT_EQ(RunDifferences(stored, Wanted(false)),
            (std::vector<std::string>{"--endpoint (the job used the bundled classifier, now "
                                      "http://model:8000/classify)"}));
}

TEST_F(RunIdentityTest, AJobWithoutARecordOfItsInputsIsAnotherRun) {
  proto::JobSpec stored = Stored(request_.spec);  // submitted by an older sieve run
  std::vector<std::string> diff = RunDifferences(stored, Wanted());
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_NE(diff[0].find("no record of its inputs"), std::string::npos);
}

TEST_F(RunIdentityTest, AnUnreadableInputIsAnError) {
  request_.inputs = {path_ + ".missing"};
  EXPECT_FALSE(RunInputsOf(request_, false).ok());
}

}  // namespace
}  // namespace sieve
