// CURVE keys, the ZAP allow-list with roles, and who may send what: real ZeroMQ sockets over
// loopback TCP, as the daemons use them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net/curve.h"
#include "common/file_util.h"
#include "net/peer_policy.h"
#include "net/zap_authenticator.h"
#include "net/zmq_io.h"

namespace sieve {
namespace {

class CurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve_curve_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CurveKeyPair NewKey(const std::string& role_dir, const std::string& name) {
    Result<CurveKeyPair> pair = GenerateCurveKeyPair();
    EXPECT_TRUE(pair.ok());
    if (!role_dir.empty()) {
      EXPECT_TRUE(WriteKeyPair((dir_ / "allow" / role_dir).string(), name, *pair).ok());
    }
    return *pair;
  }

  std::filesystem::path dir_;
};

TEST_F(CurveTest, KeygenWritesSecretOwnerOnlyAndRefusesToOverwrite) {
  CurveKeyPair pair = *GenerateCurveKeyPair();
  ASSERT_TRUE(WriteKeyPair(dir_.string(), "node", pair).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadKeyFile((dir_ / "node.key").string()), pair.secret_key);
  EXPECT_EQ(*ReadKeyFile((dir_ / "node.pub").string()), pair.public_key);
  EXPECT_EQ(*CurvePublicKey(pair.secret_key), pair.public_key);
  Status again = WriteKeyPair(dir_.string(), "node", *GenerateCurveKeyPair());
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(*ReadKeyFile((dir_ / "node.key").string()), pair.secret_key);  // untouched
}

TEST_F(CurveTest, MalformedKeyFilesAreNamedNotEchoed) {
  std::ofstream((dir_ / "bad.key").string()) << "this-is-not-a-key-but-a-secret-ish-text\n";
  Result<std::string> key = ReadKeyFile((dir_ / "bad.key").string());
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("bad.key"), std::string::npos);
  EXPECT_EQ(key.status().message().find("secret-ish"), std::string::npos);
  EXPECT_FALSE(ReadKeyFile((dir_ / "missing.key").string()).ok());
  EXPECT_FALSE(CurvePublicKey("short").ok());
}

TEST_F(CurveTest, ConfigFromFilesOrEnvironment) {
  CurveKeyPair own = *GenerateCurveKeyPair();
  CurveKeyPair broker = *GenerateCurveKeyPair();
  ASSERT_TRUE(WriteKeyPair(dir_.string(), "own", own).ok());
  ASSERT_TRUE(WriteKeyPair(dir_.string(), "broker", broker).ok());

  Result<CurveConfig> off = LoadCurveConfig("", "");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->enabled());

  Result<CurveConfig> files =
      LoadCurveConfig((dir_ / "own.key").string(), (dir_ / "broker.pub").string());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_TRUE(files->enabled());
  EXPECT_EQ(files->own.public_key, own.public_key);
  EXPECT_EQ(files->broker_public_key, broker.public_key);

  ::setenv("SIEVE_CURVE_SECRET_KEY", own.secret_key.c_str(), 1);
  ::setenv("SIEVE_BROKER_PUBLIC_KEY", broker.public_key.c_str(), 1);
  Result<CurveConfig> env = LoadCurveConfig("", "");
  ::unsetenv("SIEVE_CURVE_SECRET_KEY");
  ::unsetenv("SIEVE_BROKER_PUBLIC_KEY");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->own.secret_key, own.secret_key);
  EXPECT_EQ(env->broker_public_key, broker.public_key);

  // A broker key without an own key is a mistake, not "CURVE off".
  EXPECT_FALSE(LoadCurveConfig("", (dir_ / "broker.pub").string()).ok());
}

TEST_F(CurveTest, AllowListRolesAndMalformedEntries) {
  CurveKeyPair client = NewKey("clients", "alice");
  CurveKeyPair worker = NewKey("workers", "w1");
  CurveKeyPair stranger = NewKey("", "");
  Result<AllowList> list = AllowList::Load((dir_ / "allow").string());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->RoleOf(client.public_key), PeerRole::kClient);
  EXPECT_EQ(list->RoleOf(worker.public_key), PeerRole::kWorker);
  EXPECT_FALSE(list->RoleOf(stranger.public_key).has_value());

  std::ofstream((dir_ / "allow" / "workers" / "broken.pub").string()) << "nope\n";
  Result<AllowList> broken = AllowList::Load((dir_ / "allow").string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.pub"), std::string::npos);
  EXPECT_FALSE(AllowList::Load((dir_ / "no-such-dir").string()).ok());
}

TEST(PeerPolicyTest, EachRoleSendsOnlyItsCommands) {
  using proto::Command;
  EXPECT_TRUE(BrokerAccepts(PeerRole::kWorker, Command::kReady));
  EXPECT_FALSE(BrokerAccepts(PeerRole::kClient, Command::kReady));      // no chunks for clients
  EXPECT_FALSE(BrokerAccepts(PeerRole::kCollector, Command::kReady));
  EXPECT_TRUE(BrokerAccepts(PeerRole::kClient, Command::kSubmit));
  EXPECT_FALSE(BrokerAccepts(PeerRole::kWorker, Command::kSubmit));     // workers cannot submit
  EXPECT_FALSE(BrokerAccepts(PeerRole::kWorker, Command::kCancel));
  EXPECT_FALSE(BrokerAccepts(PeerRole::kWorker, Command::kChunk));
  EXPECT_TRUE(BrokerAccepts(PeerRole::kCollector, Command::kCommitted));
  EXPECT_FALSE(BrokerAccepts(PeerRole::kWorker, Command::kCommitted));  // no fake progress
  EXPECT_FALSE(BrokerAccepts(PeerRole::kClient, Command::kJobDone));
  EXPECT_TRUE(BrokerAccepts(PeerRole::kAny, Command::kSubmit));         // CURVE off
  EXPECT_FALSE(BrokerAccepts(PeerRole::kAny, Command::kAssign));        // broker-to-peer only
  EXPECT_TRUE(CollectorAccepts(PeerRole::kWorker, Command::kResult));
  EXPECT_FALSE(CollectorAccepts(PeerRole::kClient, Command::kResult));
  EXPECT_TRUE(CollectorAccepts(PeerRole::kClient, Command::kFetch));
  EXPECT_FALSE(CollectorAccepts(PeerRole::kWorker, Command::kFetch));   // workers read no output
  EXPECT_EQ(RoleFromUserId(""), PeerRole::kAny);
  EXPECT_EQ(RoleFromUserId("worker:abc"), PeerRole::kWorker);
  EXPECT_FALSE(RoleFromUserId("admin:abc").has_value());
}

// Polls `socket` for one message for at most `ms`.
std::optional<proto::Frames> ReceiveWithin(zmq::socket_t& socket, int ms, std::string* user_id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    Result<std::optional<proto::Frames>> frames = ReceiveFrames(socket, user_id);
    if (frames.ok() && frames->has_value()) return **frames;
  }
  return std::nullopt;
}

TEST_F(CurveTest, ServerAdmitsAllowedKeysWithTheirRoleAndNothingElse) {
  CurveKeyPair server_pair = NewKey("", "");
  CurveKeyPair worker = NewKey("workers", "w1");
  CurveKeyPair stranger = NewKey("", "");
  zmq::context_t context;
  Result<AllowList> allow = AllowList::Load((dir_ / "allow").string());
  ASSERT_TRUE(allow.ok());
  Result<std::unique_ptr<ZapAuthenticator>> zap = ZapAuthenticator::Start(context, *allow);
  ASSERT_TRUE(zap.ok()) << zap.status().ToString();
  CurveConfig server_config{server_pair, ""};
  zmq::socket_t server(context, zmq::socket_type::router);
  ApplyCurveServer(server, server_config);
  server.bind("tcp://127.0.0.1:*");
  std::string endpoint = BoundEndpoint(server);

  auto connect_as = [&](const CurveKeyPair& pair) {
    auto socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::linger, 0);
    ApplyCurveClient(*socket, CurveConfig{pair, server_pair.public_key}, server_pair.public_key);
    socket->connect(endpoint);
    return socket;
  };
  auto allowed = connect_as(worker);
  auto refused = connect_as(stranger);
  refused->send(zmq::str_buffer("from-stranger"), zmq::send_flags::dontwait);
  allowed->send(zmq::str_buffer("from-worker"), zmq::send_flags::dontwait);

  std::string user_id;
  std::optional<proto::Frames> got = ReceiveWithin(server, 5000, &user_id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->back(), "from-worker");
  EXPECT_EQ(user_id, "worker:" + worker.public_key);
  EXPECT_FALSE(ReceiveWithin(server, 500, &user_id).has_value());  // the stranger's never comes
  EXPECT_GE((*zap)->refused(), 1u);
  EXPECT_EQ((*zap)->admitted(), 1u);

  // A client that does not know the server's real key cannot talk to it either.
  auto wrong_server_key = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
  wrong_server_key->set(zmq::sockopt::linger, 0);
  ApplyCurveClient(*wrong_server_key, CurveConfig{worker, ""}, stranger.public_key);
  wrong_server_key->connect(endpoint);
  wrong_server_key->send(zmq::str_buffer("misdirected"), zmq::send_flags::dontwait);
  EXPECT_FALSE(ReceiveWithin(server, 500, &user_id).has_value());

  allowed.reset();
  refused.reset();
  wrong_server_key.reset();
  server.close();
}

}  // namespace
}  // namespace sieve
