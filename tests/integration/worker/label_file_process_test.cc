// Integration: the sieve-label-file program, run as a child process against the reference
// classifier (in-process, ephemeral loopback port): every input row comes out once, in order,
// unchanged, with a label column; failed rows carry the error label and a reason in the errors
// file; bad input and bad flags exit 1 with a message naming the problem.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "classifier/classifier_server.h"
#include "classifier/corpus.h"
#include "common/csv_chunker.h"
#include "common/csv_record.h"

namespace sieve {
namespace {

using classifier::ClassifierOptions;
using classifier::ClassifierServer;

struct Exit {
  int code = -1;
  std::string err;
};

// Runs sieve-label-file with `args`; stderr is captured through a file.
Exit RunLabelFile(std::vector<std::string> args, const std::string& dir) {
  args.insert(args.begin(), SIEVE_LABEL_FILE_EXE);
  const std::string err_path = dir + "/stderr.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(err_path.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream err(err_path);
  std::stringstream text;
  text << err.rdbuf();
  return Exit{WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LabelFileProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sieve-label-file-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::unique_ptr<ClassifierServer> StartClassifier(double fail_rate) {
    ClassifierOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    auto corpus = classifier::ReadCorpus(SIEVE_SOURCE_DIR "/examples/classifier-corpus.csv");
    EXPECT_TRUE(corpus.ok());
    auto model = classifier::NaiveBayesModel::Train(*corpus, {});
    EXPECT_TRUE(model.ok());
    options.model = std::make_shared<const classifier::NaiveBayesModel>(std::move(model).value());
    options.faults.fail_rate = fail_rate;
    auto server = ClassifierServer::Start(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return std::move(server).value();
  }

  // `rows` rows with quoted commas, quotes and newlines inside fields, CRLF line ends.
  std::string WriteInput(int rows) {
    std::string csv = "website,content\r\n";
    for (int i = 0; i < rows; ++i) {
      csv += "https://site" + std::to_string(i) + ".example,";
      csv += "\"Breaking news, \"\"live\"\"\nscores " + std::to_string(i) + "\"\r\n";
    }
    const std::string path = dir_ + "/in.csv";
    std::ofstream(path, std::ios::binary) << csv;
    return path;
  }

  std::string dir_;
};

TEST_F(LabelFileProcessTest, LabelsEveryRowInOrderAndKeepsFieldsUnchanged) {
  auto server = StartClassifier(0.0);
  const std::string in = WriteInput(250);
  const std::string out = dir_ + "/out.csv";
  const Exit exit = RunLabelFile({in, "--endpoint", "http://127.0.0.1:" +
                                  std::to_string(server->port()) + "/classify",
                                  "-o", out, "--chunk-rows", "40", "--concurrency", "4"},
                                 dir_);
  ASSERT_EQ(exit.code, 0) << exit.err;
  EXPECT_NE(exit.err.find("labelled 250 rows"), std::string::npos) << exit.err;

  const std::string input = ReadAll(in);
  const std::string output = ReadAll(out);
  RecordIterator in_records(input), out_records(output);
  std::string_view in_record, out_record;
  int rows = 0;
  while (in_records.Next(&in_record).value()) {
    ASSERT_TRUE(out_records.Next(&out_record).value());
    RecordFields in_fields, out_fields;
    ASSERT_TRUE(ParseRecord(in_record, &in_fields).ok());
    ASSERT_TRUE(ParseRecord(out_record, &out_fields).ok());
    ASSERT_EQ(out_fields.size(), in_fields.size() + 1);
    for (size_t i = 0; i < in_fields.size(); ++i) EXPECT_EQ(out_fields[i], in_fields[i]);
    if (rows == 0) {
      EXPECT_EQ(out_fields[2], "label");
    } else {
      EXPECT_EQ(out_fields[2], "news") << "row " << rows;
    }
    ++rows;
  }
  EXPECT_EQ(rows, 251);
  EXPECT_FALSE(out_records.Next(&out_record).value()) << "no extra rows";
}

TEST_F(LabelFileProcessTest, FailedRowsGetTheErrorLabelAndAReason) {
  auto server = StartClassifier(1.0);  // every request: HTTP 500
  const std::string in = WriteInput(5);
  const Exit exit = RunLabelFile(
      {in, "--endpoint", "http://127.0.0.1:" + std::to_string(server->port()) + "/classify",
       "-o", dir_ + "/out.csv", "--errors", dir_ + "/errors.csv", "--retries", "1",
       "--backoff-base-ms", "1", "--backoff-max-ms", "5", "--error-label", "ERR",
       "--label-column", "category"},
      dir_);
  ASSERT_EQ(exit.code, 0) << exit.err;
  const std::string output = ReadAll(dir_ + "/out.csv");
  EXPECT_EQ(output.rfind("website,content,category\r\n", 0), 0u);
  EXPECT_NE(output.find("scores 4\",ERR\r\n"), std::string::npos) << output;
  const std::string errors = ReadAll(dir_ + "/errors.csv");
  EXPECT_EQ(errors.rfind("file,line,reason\n", 0), 0u);
  EXPECT_NE(errors.find(in + ",2,HTTP 500 after 2 attempts\n"), std::string::npos) << errors;
  EXPECT_NE(errors.find(in + ",10,HTTP 500 after 2 attempts\n"), std::string::npos) << errors;
}

TEST_F(LabelFileProcessTest, BadInputAndFlagsExitWithAMessage) {
  const std::string bad = dir_ + "/bad.csv";
  std::ofstream(bad) << "website,content\nok,row\nbroken,\"quote\n";
  Exit exit = RunLabelFile({bad, "--endpoint", "http://127.0.0.1:1/x", "-o", dir_ + "/o.csv"},
                           dir_);
  EXPECT_EQ(exit.code, 1);
  EXPECT_NE(exit.err.find(bad + ":3"), std::string::npos) << exit.err;
  EXPECT_FALSE(std::ifstream(dir_ + "/o.csv").good()) << "no partial output";

  const std::string in = WriteInput(1);
  exit = RunLabelFile({in, "--endpoint", "ftp://x", "-o", dir_ + "/o.csv"}, dir_);
  EXPECT_EQ(exit.code, 1);
  EXPECT_NE(exit.err.find("--endpoint"), std::string::npos) << exit.err;
  exit = RunLabelFile({in, "--endpoint", "http://127.0.0.1:1/x", "-o", dir_ + "/o.csv",
                       "--fields", "nope"},
                      dir_);
  EXPECT_EQ(exit.code, 1);
  EXPECT_NE(exit.err.find("'nope'"), std::string::npos) << exit.err;
}

}  // namespace
}  // namespace sieve
