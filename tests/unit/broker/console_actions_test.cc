// ConsoleGate and ConsoleActionQueue: who may ask for a console action, and how it reaches the
// broker loop (here a thread that drains the queue as the loop does).
#include "broker/console_actions.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

namespace sieve {
namespace {

const std::string kToken = "0123456789abcdef-token";
const std::string kJob = "j00000000000000a1";

HttpRequest Request(std::vector<std::pair<std::string, std::string>> headers,
                    const std::string& action = "cancel") {
  HttpRequest r;
  r.method = "POST";
  r.captures = {kJob, action};
  r.headers = std::move(headers);
  r.headers.emplace_back("Host", "127.0.0.1:9400");
  r.body = R"({"by": "ada"})";
  r.remote = "127.0.0.1:5555";
  return r;
}

class ConsoleGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = std::thread([this] {
      while (!stop_) {
        for (ConsoleAction& a : queue_.TakeAll()) {
          seen_.push_back(a.name + " " + a.job_id + " by " + a.who);
          a.done.set_value(a.job_id == kJob ? Status::Ok() : Status::NotFound("no job"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  void TearDown() override {
    stop_ = true;
    loop_.join();
  }
  ConsoleActionQueue queue_;
  std::atomic<bool> stop_{false};
  std::vector<std::string> seen_;  // written by the loop thread only, read after the join
  std::thread loop_;
};

TEST_F(ConsoleGateTest, WithoutATokenEveryActionIsRefused) {
  ConsoleGate gate("", {"cancel"}, queue_);
  EXPECT_EQ(gate.Handle(Request({{"Authorization", "Bearer " + kToken}})).status, 403);
  EXPECT_EQ(gate.Handle(Request({{"Authorization", "Bearer "}})).status, 403);
}

TEST_F(ConsoleGateTest, RefusesMissingOrWrongTokensAndOtherOrigins) {
  ConsoleGate gate(kToken, {"cancel"}, queue_);
  EXPECT_EQ(gate.Handle(Request({})).status, 401);
  EXPECT_EQ(gate.Handle(Request({{"Authorization", "Bearer " + kToken + "x"}})).status, 401);
  EXPECT_EQ(gate.Handle(Request({{"Authorization", kToken}})).status, 401);
  EXPECT_EQ(gate.Handle(Request({{"Cookie", "token=" + kToken}})).status, 401);
  const std::pair<std::string, std::string> auth{"Authorization", "Bearer " + kToken};
  EXPECT_EQ(gate.Handle(Request({auth, {"Origin", "http://evil.example"}})).status, 403);
  EXPECT_EQ(gate.Handle(Request({auth, {"Origin", "http://127.0.0.1:9401"}})).status, 403);
  EXPECT_EQ(gate.Handle(Request({auth, {"Sec-Fetch-Site", "same-site"}})).status, 403);
  EXPECT_EQ(gate.Handle(Request({auth, {"Sec-Fetch-Site", "cross-site"}})).status, 403);
  EXPECT_EQ(gate.Handle(Request({auth}, "explode")).status, 404);
}

TEST_F(ConsoleGateTest, CarriesOutAnActionThroughTheLoopWithWhoDidIt) {
  ConsoleGate gate(kToken, {"cancel"}, queue_);
  HttpAnswer a = gate.Handle(Request({{"authorization", "Bearer " + kToken},
                                      {"Origin", "http://127.0.0.1:9400"},
                                      {"Sec-Fetch-Site", "same-origin"}}));
  EXPECT_EQ(a.status, 200) << a.body;
  HttpRequest other = Request({{"Authorization", "Bearer " + kToken}});
  other.captures[0] = "j00000000000000ff";
  EXPECT_EQ(gate.Handle(other).status, 404);
  TearDown();
  SetUp();  // joined: seen_ is safe to read
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0], "cancel " + kJob + " by ada at 127.0.0.1:5555");
}

TEST(ConsoleTokenTest, LoadsAPrivateLongEnoughToken) {
  const std::string path = ::testing::TempDir() + "/console_token_test";
  auto write = [&](const std::string& text, mode_t mode) {
    std::remove(path.c_str());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  };
  write("  " + kToken + "  \nsecond line\n", 0600);
  Result<std::string> token = LoadConsoleToken(path);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, kToken);
  write(kToken + "\n", 0644);
  EXPECT_FALSE(LoadConsoleToken(path).ok());
  write("short\n", 0600);
  EXPECT_FALSE(LoadConsoleToken(path).ok());
  EXPECT_FALSE(LoadConsoleToken(path + ".missing").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sieve
