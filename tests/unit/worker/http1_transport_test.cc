// The native HTTP/1.1 transport through the engine (and, for races the engine cannot stage,
// directly), against TestHttpServer answering with verbatim bytes: chunked, HTTP/1.0 and
// close-delimited answers, the request it sends, a kept-alive connection the server dropped or
// timed out with a 408, timeouts after the timer sweep, address fallback after a refused or a
// timed-out connect, malformed answers; and the choice of transport (libcurl when a proxy is
// configured).
#include "worker/http1_transport.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "worker/http_engine.h"

namespace sieve::testing {
namespace {

std::string Json(const TestRequest& request) { return EchoLabel(request).body; }

std::string Hex(size_t n) {
  char text[32];
  std::snprintf(text, sizeof(text), "%zx", n);
  return text;
}

ChunkLabels LabelNative(EngineOptions options, const RowBatch& batch) {
  options.http_client = HttpClient::kNative;
  Result<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  CancelToken cancel;
  Result<ChunkLabels> labels = (*engine)->LabelRows(batch, cancel);
  EXPECT_TRUE(labels.ok()) << labels.status().ToString();
  return std::move(labels).value();
}

TEST(Http1TransportTest, ParsesEndpointUrls) {
  Result<Http1Target> plain = ParseHttp1Target("http://classifier/classify");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "classifier");
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->host_header, "classifier");
  EXPECT_EQ(plain->path, "/classify");
  Result<Http1Target> full = ParseHttp1Target("http://[::1]:8000/v1/classify?model=a#frag");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, "8000");
  EXPECT_EQ(full->host_header, "[::1]:8000");
  EXPECT_EQ(full->path, "/v1/classify?model=a");
  EXPECT_EQ(ParseHttp1Target("http://10.0.0.1:8000")->path, "/");
  EXPECT_FALSE(ParseHttp1Target("https://classifier/classify").ok());
  EXPECT_FALSE(ParseHttp1Target("http://user:secret@classifier/").ok());
  EXPECT_FALSE(ParseHttp1Target("not a url").ok());
}

TEST(Http1TransportTest, SendsOneWellFormedRequestPerRow) {
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  EngineOptions options = TestOptions(server.url("/classify?v=2"));
  options.headers = {"Authorization: Bearer t0ken", "X-Empty:"};
  options.concurrency = 1;
  const ChunkLabels result = LabelNative(options, MakeBatch(3, "job-1", 4));
  ASSERT_TRUE(result.errors.empty());
  const std::vector<TestRequest> received = server.received();
  ASSERT_EQ(received.size(), 3u);
  const TestRequest& r = received[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/classify?v=2");
  EXPECT_EQ(r.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("authorization"), "Bearer t0ken");
  EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.headers.at("idempotency-key").rfind("job-1/4/", 0), 0u);
  EXPECT_EQ(r.headers.count("x-empty"), 0u);
  EXPECT_EQ(r.headers.count("expect"), 0u);
  EXPECT_EQ(server.connections(), 1u);  // kept alive
}

TEST(Http1TransportTest, ReadsChunkedHttp10AndCloseDelimitedAnswers) {
  TestHttpServer server([](const TestRequest& r, uint64_t seq) {
    const std::string json = Json(r);
    TestResponse response{.fault = Fault::kRawKeepOpen};
    switch (seq % 4) {
      case 0:
        response.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n" +
                       json.substr(0, 3) + "\r\n" + Hex(json.size() - 3) + "\r\n" + json.substr(3) + "\r\n0\r\n\r\n";
        break;
      case 1:
        response.raw = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(json.size()) +
                       "\r\n\r\n" + json;
        response.fault = Fault::kRaw;  // HTTP/1.0 without keep-alive: the server closes
        break;
      case 2:
        response.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + json;
        response.fault = Fault::kRaw;  // the end of the connection ends the body
        break;
      default:
        response.raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: " +
                       std::to_string(json.size()) + "\r\nConnection: close\r\n\r\n" + json;
        response.fault = Fault::kRaw;
    }
    return response;
  });
  const ChunkLabels result = LabelNative(TestOptions(server.url()), MakeBatch(40));
  ASSERT_TRUE(result.errors.empty()) << result.errors[0].reason;
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(result.labels[i], "L-site-" + std::to_string(i));
  EXPECT_EQ(result.counters.retries, 0u);
  for (const auto& [error, count] : result.counters.transport_errors) ADD_FAILURE() << error;
}

TEST(Http1TransportTest, ResendsWhenAKeptAliveConnectionWasDropped) {
  // Each connection answers its first request and drops the second without a byte: the client
  // sees a reused connection die before any answer and sends again on a fresh one, as libcurl
  // does, without spending an attempt.
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    if (r.on_connection == 0) return EchoLabel(r);
    return TestResponse{.fault = Fault::kCloseEarly};
  });
  EngineOptions options = TestOptions(server.url());
  options.concurrency = 1;
  options.retries = 0;
  const ChunkLabels result = LabelNative(options, MakeBatch(10));
  ASSERT_TRUE(result.errors.empty()) << result.errors[0].reason;
  EXPECT_EQ(result.labels[9], "L-site-9");
  EXPECT_EQ(server.connections(), 10u);
  EXPECT_EQ(server.requests(), 19u);  // every row but the first was sent twice
}

// A native transport for `options`, or null (and a test failure).
std::unique_ptr<Http1Transport> NativeTransport(
    const EngineOptions& options,
    Http1Transport::Resolver resolver = Http1Transport::SystemResolve) {
  Result<std::unique_ptr<Http1Transport>> transport =
      Http1Transport::Create(options, {"Content-Type: application/json"}, std::move(resolver));
  EXPECT_TRUE(transport.ok()) << transport.status().ToString();
  return transport.ok() ? std::move(transport).value() : nullptr;
}

// Sends `body` from slot 0 and drives `transport` until it is done; a failure (and a timeout
// report) when that takes over ~5 s.
TransferReport PostFromSlot0(HttpTransport& transport, const std::string& body,
                             const std::string& idempotency_key) {
  EXPECT_TRUE(transport.Start(0, body, idempotency_key).ok());
  for (int i = 0; i < 100; ++i) {
    transport.RunDueTimers();
    if (transport.NextDone() == 0) return transport.Report(0);
    transport.Wait(50);
  }
  ADD_FAILURE() << "the request did not finish";
  TransferReport report;
  report.error = TransferError::kTimeout;
  return report;
}

class TimedOut408Test : public ::testing::TestWithParam<std::string> {};

TEST_P(TimedOut408Test, ResendsWhenAReusedConnectionTimedOutWith408) {
  // The server answers, then times the idle connection out with a 408 and closes it. The
  // second request goes out on that connection before the client has read the 408 (no Wait in
  // between), so the 408 is no answer to it: it is sent again on a fresh connection.
  const std::string timed_out = GetParam();
  TestHttpServer server([&timed_out](const TestRequest& r, uint64_t) {
    TestResponse response = EchoLabel(r);
    response.then_on_idle = timed_out;
    return response;
  });
  const EngineOptions options = TestOptions(server.url());
  const std::unique_ptr<Http1Transport> transport = NativeTransport(options);
  ASSERT_NE(transport, nullptr);
  EXPECT_EQ(PostFromSlot0(*transport, R"({"website":"a"})", "job/0/0").http_status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the 408 is on its way
  const TransferReport report = PostFromSlot0(*transport, R"({"website":"b"})", "job/0/1");
  EXPECT_EQ(report.error, TransferError::kNone) << report.error_text;
  EXPECT_EQ(report.http_status, 200);
  EXPECT_EQ(report.body, EchoLabel(server.received().back()).body);
  EXPECT_EQ(server.connections(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Framings, TimedOut408Test,
    ::testing::Values(  // as Node.js sends it (the close ends it), and with a length
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));

// A loopback port whose connects time out, like a host gone without a word: listening with
// a full accept queue (one connection never accepted), so the kernel drops further SYNs.
class BlackholePort {
 public:
  BlackholePort() {
    sockaddr_in address = Loopback(0);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 0);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    connect(filler_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  ~BlackholePort() {
    close(filler_);
    close(listener_);
  }
  int port() const { return port_; }

  static sockaddr_in Loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    return address;
  }

 private:
  const int listener_ = socket(AF_INET, SOCK_STREAM, 0);
  const int filler_ = socket(AF_INET, SOCK_STREAM, 0);
  int port_ = 0;
};

TEST(Http1TransportTest, AConnectTimeoutMovesOnToTheNextAddress) {
  // The endpoint's name has two addresses; the first swallows connects. The request moves on
  // to the second once the connect timeout passes, instead of failing the attempt (and every
  // retry after it, all on the same dead address).
  BlackholePort blackhole;
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  const auto resolver = [&](const std::string&, const std::string&) {
    Http1Transport::Resolved resolved;
    for (const int port : {blackhole.port(), server.port()}) {
      const sockaddr_in address = BlackholePort::Loopback(port);
      sockaddr_storage stored{};
      std::memcpy(&stored, &address, sizeof(address));
      resolved.addresses.push_back(stored);
      resolved.lengths.push_back(sizeof(address));
    }
    return resolved;
  };
  EngineOptions options = TestOptions("http://endpoint.test/classify");
  options.connect_timeout = std::chrono::milliseconds(300);
  options.timeout = std::chrono::seconds(4);
  const std::unique_ptr<Http1Transport> transport = NativeTransport(options, resolver);
  ASSERT_NE(transport, nullptr);
  const TransferReport report = PostFromSlot0(*transport, R"({"website":"a"})", "job/0/0");
  EXPECT_EQ(report.error, TransferError::kNone) << report.error_text;
  EXPECT_EQ(report.http_status, 200);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(Http1TransportTest, TimeoutsStillFireAfterFinishedRequestsAreSweptFromTheTimers) {
  // Row 0 stalls; 299 quick answers behind it at concurrency 4 leave their timer entries
  // queued behind row 0's, so the deque is swept (past 2 x 4 + 64 entries) many times before
  // row 0's timeout is due. The sweep must keep it: row 0 times out, the rest succeed.
  TestHttpServer server([](const TestRequest& r, uint64_t) {
    TestResponse response = EchoLabel(r);
    if (r.body.find("\"site-0\"") != std::string::npos) response.fault = Fault::kStall;
    return response;
  });
  EngineOptions options = TestOptions(server.url());
  options.concurrency = 4;
  options.retries = 0;
  options.timeout = std::chrono::seconds(3);
  const ChunkLabels result = LabelNative(options, MakeBatch(300));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].row, 0u);
  EXPECT_EQ(result.errors[0].reason.rfind("timeout after 3 s", 0), 0u)
      << result.errors[0].reason;
  EXPECT_EQ(server.requests(), 300u);
}

TEST(Http1TransportTest, MalformedAnswersFailTheRowWithTheReason) {
  TestHttpServer server([](const TestRequest&, uint64_t) {
    return TestResponse{.fault = Fault::kRaw, .raw = "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"};
  });
  const ChunkLabels result = LabelNative(TestOptions(server.url()), MakeBatch(2));
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].reason,
            "request failed: malformed HTTP response: bad Content-Length 'x'");
  EXPECT_EQ(server.requests(), 2u);  // not retried
}

// A loopback port whose connects are refused at once (bound, never listening), as on a host
// up without the server; held for the test's lifetime so no one else takes the port.
class RefusedPort {
 public:
  RefusedPort() {
    sockaddr_in address = BlackholePort::Loopback(0);
    bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusedPort() { close(socket_); }
  int port() const { return port_; }

 private:
  const int socket_ = socket(AF_INET, SOCK_STREAM, 0);
  int port_ = 0;
};

// A resolver giving every name the loopback `ports`, in that order; counts its calls.
Http1Transport::Resolver LoopbackResolver(std::vector<int> ports, int* calls) {
  return [ports = std::move(ports), calls](const std::string&, const std::string&) {
    ++*calls;
    Http1Transport::Resolved resolved;
    for (const int port : ports) {
      const sockaddr_in address = BlackholePort::Loopback(port);
      sockaddr_storage stored{};
      std::memcpy(&stored, &address, sizeof(address));
      resolved.addresses.push_back(stored);
      resolved.lengths.push_back(sizeof(address));
    }
    return resolved;
  };
}

TEST(Http1TransportTest, ARefusedConnectMovesOnToTheNextAddress) {
  // The endpoint's name has two addresses, the first refusing connections (as "localhost"
  // resolving to ::1 first does for a server on 127.0.0.1 only): the request moves on to the
  // second address instead of failing the attempt.
  RefusedPort refused;
  TestHttpServer server([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  int resolves = 0;
  EngineOptions options = TestOptions("http://endpoint.test/classify");
  options.timeout = std::chrono::seconds(4);
  const std::unique_ptr<Http1Transport> transport =
      NativeTransport(options, LoopbackResolver({refused.port(), server.port()}, &resolves));
  ASSERT_NE(transport, nullptr);
  const TransferReport report = PostFromSlot0(*transport, R"({"website":"a"})", "job/0/0");
  EXPECT_EQ(report.error, TransferError::kNone) << report.error_text;
  EXPECT_EQ(report.http_status, 200);
  EXPECT_GE(resolves, 1);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(Http1TransportTest, AutoTakesLibcurlWhenAProxyIsConfigured) {
  TestHttpServer proxy([](const TestRequest& r, uint64_t) { return EchoLabel(r); });
  ::setenv("http_proxy", proxy.url("").c_str(), 1);
  EngineOptions options = TestOptions("http://127.0.0.1:1/classify");  // only via the proxy
  Result<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options);
  ASSERT_TRUE(engine.ok());
  CancelToken cancel;
  Result<ChunkLabels> labels = (*engine)->LabelRows(MakeBatch(2), cancel);  // libcurl reads
  ::unsetenv("http_proxy");                                                 // it per request
  ASSERT_TRUE(labels.ok());
  ASSERT_TRUE(labels->errors.empty()) << labels->errors[0].reason;
  ASSERT_EQ(proxy.received().size(), 2u);
  EXPECT_EQ(proxy.received()[0].path, "http://127.0.0.1:1/classify");  // a proxy request
}

TEST(Http1TransportTest, NativeRefusesWhatItCannotReach) {
  EngineOptions options = TestOptions("https://127.0.0.1:1/classify");
  options.http_client = HttpClient::kNative;
  EXPECT_EQ(HttpEngine::Create(options).status().code(), Status::Code::kInvalidArgument);
  options = TestOptions("http://127.0.0.1:1/classify");
  options.http_client = HttpClient::kNative;
  options.http_version = HttpVersion::kHttp2PriorKnowledge;
  EXPECT_FALSE(HttpEngine::Create(options).ok());
}

}  // namespace
}  // namespace sieve::testing
