// Integration: the real sieve-classifier executable, started on port 0 and spoken to over HTTP.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/csv_record.h"
#include "common/file_util.h"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A child process with its stdout and stderr captured through pipes.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    args.insert(args.begin(), SIEVE_CLASSIFIER_EXE);
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      close(out[0]), close(err[0]), close(out[1]), close(err[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]), close(err[1]);
    out_ = out[0], err_ = err[0];
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  // Reads stdout up to the first newline, waiting at most `timeout`. "" on timeout or EOF.
  std::string ReadStdoutLine(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      if (read(out_, &c, 1) != 1) return "";
      if (c == '\n') return line;
      line.push_back(c);
    }
    return "";
  }

  // Waits for exit (SIGKILL after `timeout`); returns the wait status and fills the outputs.
  int Wait(std::chrono::milliseconds timeout, std::string* out = nullptr,
           std::string* err = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) kill(pid_, SIGKILL);
      std::this_thread::sleep_for(10ms);
    }
    exited_ = true;
    if (out) *out = Drain(out_);
    if (err) *err = Drain(err_);
    return status;
  }

  void Signal(int sig) { kill(pid_, sig); }

 private:
  static std::string Drain(int fd) {
    fcntl(fd, F_SETFL, O_NONBLOCK);
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<std::size_t>(n));
    return all;
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  bool exited_ = false;
};

// Starts a server with `flags` and returns its port from the "listening on" line (0 on failure).
int StartServer(Child& child) {
  const std::string line = child.ReadStdoutLine(20s);
  std::smatch m;
  static const std::regex kListening(R"(^listening on 127\.0\.0\.1:(\d+)$)");
  if (!std::regex_match(line, m, kListening)) {
    ADD_FAILURE() << "unexpected first stdout line: '" << line << "'";
    return 0;
  }
  return std::stoi(m[1]);
}

const std::string kExamples = SIEVE_SOURCE_DIR "/examples/";

// The data rows of a CSV file, each as its fields.
std::vector<std::vector<std::string>> ReadRows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  auto bytes = sieve::ReadFile(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return rows;
  sieve::RecordIterator records(*bytes);
  sieve::RecordFields fields;
  std::string_view record;
  for (bool header = true;; header = false) {
    auto more = records.Next(&record);
    if (!more.ok() || !*more || !sieve::ParseRecord(record, &fields).ok()) break;
    if (!header) rows.emplace_back(fields.begin(), fields.end());
  }
  return rows;
}

TEST(ClassifierProcessTest, LabelsTheExampleWebsitesAndShutsDownOnSigterm) {
  Child child({"--listen", "127.0.0.1:0", "--threads", "4"});
  const int port = StartServer(child);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  auto labels_res = client.Get("/labels");
  ASSERT_TRUE(labels_res);
  const auto labels = json::parse(labels_res->body)["labels"].get<std::vector<std::string>>();

  const auto rows = ReadRows(kExamples + "websites.csv");
  ASSERT_GE(rows.size(), 55u);
  json batch = json::array();
  std::vector<std::string> singles;
  std::map<std::string, std::string> label_of;
  for (const auto& row : rows) {
    const json body = {{"website", row[0]}, {"content", row[1]}};
    batch.push_back(body);
    auto res = client.Post("/classify", body.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const std::string label = json::parse(res->body)["label"];
    EXPECT_NE(std::find(labels.begin(), labels.end(), label), labels.end()) << label;
    singles.push_back(res->body);
    label_of[row[0]] = label;
  }
  auto res = client.Post("/classify/batch", batch.dump(), "application/json");
  ASSERT_TRUE(res);
  const json answers = json::parse(res->body);
  ASSERT_EQ(answers.size(), singles.size());
  for (std::size_t i = 0; i < singles.size(); ++i) EXPECT_EQ(answers[i].dump(), singles[i]);
  // A few sites whose category is unambiguous.
  EXPECT_EQ(label_of["https://www.bbc.com"], "news");
  EXPECT_EQ(label_of["https://www.espn.com"], "sports");
  EXPECT_EQ(label_of["https://www.booking.com"], "travel");

  const auto start = std::chrono::steady_clock::now();
  child.Signal(SIGTERM);
  const int status = child.Wait(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ClassifierProcessTest, TrainEvalAndServeATrainedModel) {
  const std::string model = ::testing::TempDir() + "/integration_model.bin";
  std::string out, err;
  Child train({"train", kExamples + "classifier-corpus.csv", "-o", model});
  int status = train.Wait(60s, &out, &err);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;

  Child eval({"eval", kExamples + "classifier-corpus.csv", "--holdout", "0.2", "--seed", "5"});
  status = eval.Wait(60s, &out, &err);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(accuracy ([0-9.]+))"))) << out;
  EXPECT_GT(std::stod(m[1]), 0.5) << out;

  Child server({"--listen", "127.0.0.1:0", "--model", model, "--fail-rate", "1"});
  const int port = StartServer(server);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  auto res =
      client.Post("/classify", R"({"website":"x","content":"football"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_TRUE(json::parse(res->body).contains("detail"));
  server.Signal(SIGINT);
  status = server.Wait(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ClassifierProcessTest, CorruptModelAndBadFlagsFailClearly) {
  const std::string model = ::testing::TempDir() + "/integration_corrupt_model.bin";
  std::ofstream(model, std::ios::binary) << "definitely not a model file";
  std::string out, err;
  Child corrupt({"--listen", "127.0.0.1:0", "--model", model});
  int status = corrupt.Wait(20s, &out, &err);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
  EXPECT_NE(err.find(model), std::string::npos) << err;
  EXPECT_EQ(out.find("listening"), std::string::npos);

  Child bad_listen({"--listen", "no-port-here"});
  status = bad_listen.Wait(20s, &out, &err);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << err;

  Child bad_rate({"--listen", "127.0.0.1:0", "--fail-rate", "2"});
  status = bad_rate.Wait(20s, &out, &err);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << err;
  EXPECT_NE(err.find("fail-rate"), std::string::npos) << err;
}

}  // namespace
