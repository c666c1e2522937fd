// DESIGN: threads and state of the classifier server.
//
// Threads: one listener thread runs httplib's accept loop (listen_after_bind); accepted
// connections go to an httplib::ThreadPool of options.threads workers, each serving one
// connection (keep-alive, up to options.keep_alive_max_requests requests, then closed so that
// queued connections get their turn) at a time. The caller's thread runs Start() and Stop().
//
// Per classify request (HandleClassify; /classify, /classify/batch and /v1/chat/completions
// alike): count it in flight; refuse with 503 beyond
// --max-inflight; draw a FaultDecision; wait its delay; answer the fault, if any; otherwise
// parse the body, run the model for each text and answer JSON. Waits (delay, hang) block on
// stop_cv_, so Stop() wakes them at once and they answer 503 "shutting down".
//
// Shared state: the model is immutable; FaultInjector and ServerMetrics are thread-safe;
// stopping_ is GUARDED_BY(stop_mutex_); in_flight_ is atomic; the noisy answer style's RNG is
// GUARDED_BY(answer_mutex_) (two draws per chat request, only with --answer-style noisy).
#include "classifier/classifier_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "classifier/chat_codec.h"
#include "classifier/model_file.h"
#include "classifier/quota_window.h"
#include "classifier/request_codec.h"
#include "classifier/server_metrics.h"

namespace sieve::classifier {
namespace {

constexpr int kListenBacklog = 1024;

constexpr time_t kKeepAliveTimeoutSec = 2;  // also bounds how long Stop() waits on idle clients
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr char kJson[] = "application/json";

std::string_view ReasonFor(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "request body is too large";
    case 414:
      return "request URI is too long";
    default:
      return status >= 500 ? "Internal Server Error" : "request refused";
  }
}

Result<std::shared_ptr<const NaiveBayesModel>> ResolveModel(const ClassifierOptions& options) {
  if (options.model) return options.model;
  std::string path = options.model_path;
  if (path.empty()) {
    Result<std::string> found = DefaultModelPath();
    if (!found.ok()) return found.status();
    path = *found;
  }
  Result<NaiveBayesModel> model = LoadModel(path);
  if (!model.ok()) return model.status();
  spdlog::info("loaded model {} ({} labels, {} tokens)", path, model->labels().size(),
               model->parameters().vocabulary.size());
  return std::make_shared<const NaiveBayesModel>(std::move(model).value());
}

}  // namespace

class ClassifierServer::Impl {
 public:
  Impl(ClassifierOptions options, std::shared_ptr<const NaiveBayesModel> model)
      : options_(std::move(options)),
        model_(std::move(model)),
        faults_(options_.faults),
        quota_(options_.rpm, options_.tpm),
        answer_rng_(options_.faults.seed) {}

  Status Run();
  void Stop();
  int port() const { return port_; }
  const std::string& host() const { return options_.host; }
  const NaiveBayesModel& model() const { return *model_; }
  std::shared_ptr<prometheus::Registry> metrics_registry() const { return metrics_.registry(); }

 private:
  class RequestScope;
  // The handlers that classify: each runs the fault flags first.
  enum class Api { kClassify, kBatch, kChat };

  void RegisterRoutes();
  void HandleClassify(const httplib::Request& req, httplib::Response& res, Api api);
  bool AnswerFault(Fault fault, httplib::Response& res);
  bool AdmitWithinQuota(const httplib::Request& req, httplib::Response& res);
  void Classify(const httplib::Request& req, httplib::Response& res, bool batch);
  void ChatComplete(const httplib::Request& req, httplib::Response& res);
  // Waits for `duration` or until Stop(); returns false when stopping.
  bool WaitUnlessStopping(std::chrono::milliseconds duration);

  const ClassifierOptions options_;
  const std::shared_ptr<const NaiveBayesModel> model_;
  FaultInjector faults_;
  QuotaWindow quota_;
  ServerMetrics metrics_;
  httplib::Server server_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<std::size_t> in_flight_{0};
  std::once_flag stop_once_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // GUARDED_BY(stop_mutex_)
  std::mutex answer_mutex_;
  std::mt19937_64 answer_rng_;  // GUARDED_BY(answer_mutex_): draws of the noisy answer style
  std::atomic<std::uint64_t> chat_sequence_{0};
};

// Counts a classify request in flight and observes its duration when it ends.
class ClassifierServer::Impl::RequestScope {
 public:
  RequestScope(Impl* impl, std::string_view handler)
      : impl_(impl),
        handler_(handler),
        start_(std::chrono::steady_clock::now()),
        in_flight_(impl->in_flight_.fetch_add(1) + 1) {
    impl_->metrics_.in_flight().Increment();
  }
  ~RequestScope() {
    impl_->in_flight_.fetch_sub(1);
    impl_->metrics_.in_flight().Decrement();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    impl_->metrics_.ObserveDuration(handler_, elapsed.count());
  }
  std::size_t in_flight() const { return in_flight_; }

 private:
  Impl* impl_;
  std::string_view handler_;
  std::chrono::steady_clock::time_point start_;
  std::size_t in_flight_;
};

Status ClassifierServer::Impl::Run() {
  RegisterRoutes();
  const std::size_t threads = options_.threads;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_payload_max_length(options_.max_body_bytes);
  server_.set_keep_alive_max_count(options_.keep_alive_max_requests);
  server_.set_keep_alive_timeout(kKeepAliveTimeoutSec);
  // httplib writes headers and body separately: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK hold every keep-alive answer for ~40 ms.
  server_.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second server share a busy port.
  socket_t listen_socket = INVALID_SOCKET;
  server_.set_socket_options([&listen_socket](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket = sock;
  });
  const std::string address = options_.host + ":" + std::to_string(options_.port);
  if (options_.port == 0) {
    port_ = server_.bind_to_any_port(options_.host);
  } else if (server_.bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
  } else {
    port_ = -1;
  }
  if (port_ <= 0) return Status::Unavailable("cannot listen on " + address);
  // Debian's compiled cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG is
  // fixed in the .so): a burst of connects, such as a worker opening 64 connections at once,
  // loses SYNs and stalls a second. Linux lets a second listen() raise the backlog.
  if (listen_socket != INVALID_SOCKET) ::listen(listen_socket, kListenBacklog);
  listener_ = std::thread([this] { server_.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!server_.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      return Status::Unavailable("HTTP server on " + address + " did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void ClassifierServer::Impl::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    server_.stop();
    if (listener_.joinable()) listener_.join();
  });
}

void ClassifierServer::Impl::RegisterRoutes() {
  server_.Post("/classify", [this](const httplib::Request& req, httplib::Response& res) {
    HandleClassify(req, res, Api::kClassify);
  });
  server_.Post("/classify/batch", [this](const httplib::Request& req, httplib::Response& res) {
    HandleClassify(req, res, Api::kBatch);
  });
  server_.Post("/v1/chat/completions",
               [this](const httplib::Request& req, httplib::Response& res) {
                 HandleClassify(req, res, Api::kChat);
               });
  server_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(FormatModels(kChatModelId), kJson);
  });
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", kJson);
  });
  server_.Get("/labels", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(nlohmann::json{{"labels", model_->labels()}}.dump(
                        -1, ' ', false, nlohmann::json::error_handler_t::replace),
                    kJson);
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content(FormatDetail(ReasonFor(res.status)), kJson);
  });
  server_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        spdlog::error("unexpected exception while handling {} {}", req.method, req.path);
        res.status = 500;
        res.set_content(FormatDetail("internal error"), kJson);
      });
  // Counted just before the response is written (httplib calls the post-routing handler for
  // every response, errors included), not in the logger, which runs after the write: a client
  // that reads /metrics right after its answer would otherwise race the count.
  server_.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    metrics_.CountResponse(res.status);
  });
}

void ClassifierServer::Impl::HandleClassify(const httplib::Request& req, httplib::Response& res,
                                            Api api) {
  RequestScope scope(this, api == Api::kBatch  ? "/classify/batch"
                           : api == Api::kChat ? "/v1/chat/completions"
                                               : "/classify");
  if (options_.max_inflight > 0 && scope.in_flight() > options_.max_inflight) {
    metrics_.CountFault("max_inflight");
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_content(FormatDetail("server busy: more than --max-inflight requests"), kJson);
    return;
  }
  if (quota_.enabled() && !AdmitWithinQuota(req, res)) return;
  const FaultDecision decision = faults_.Decide();
  bool running = WaitUnlessStopping(decision.delay);
  if (running && decision.fault == Fault::kHang) {
    metrics_.CountFault("hang");
    running = WaitUnlessStopping(std::chrono::milliseconds(options_.faults.hang_ms));
  }
  if (!running) {
    res.status = 503;
    res.set_content(FormatDetail("server is shutting down"), kJson);
    return;
  }
  if (AnswerFault(decision.fault, res)) return;
  if (api == Api::kChat) return ChatComplete(req, res);
  Classify(req, res, api == Api::kBatch);
}

// --rpm / --tpm: false (after answering 429) when the request does not fit the window; an
// admitted request's answer carries the x-ratelimit-* headers too.
bool ClassifierServer::Impl::AdmitWithinQuota(const httplib::Request& req,
                                              httplib::Response& res) {
  const uint64_t tokens = (req.body.size() + 3) / 4;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  const QuotaVerdict verdict = quota_.Admit(tokens, now_ms);
  // Every answer says what is left, as OpenAI-compatible APIs do: a client can pause when
  // remaining reaches 0 instead of running into the 429.
  const std::string reset = std::to_string(verdict.reset_ms) + "ms";
  if (options_.rpm > 0) {
    res.set_header("x-ratelimit-limit-requests", std::to_string(options_.rpm));
    res.set_header("x-ratelimit-remaining-requests", std::to_string(verdict.remaining_requests));
    res.set_header("x-ratelimit-reset-requests", reset);
  }
  if (options_.tpm > 0) {
    res.set_header("x-ratelimit-limit-tokens", std::to_string(options_.tpm));
    res.set_header("x-ratelimit-remaining-tokens", std::to_string(verdict.remaining_tokens));
    res.set_header("x-ratelimit-reset-tokens", reset);
  }
  if (verdict.admitted) return true;
  metrics_.CountFault("rate_limit");
  res.status = 429;
  res.set_header("Retry-After", std::to_string(verdict.retry_after_s));
  res.set_content(FormatDetail("rate limit reached (--rpm/--tpm)"), kJson);
  return false;
}

bool ClassifierServer::Impl::AnswerFault(Fault fault, httplib::Response& res) {
  switch (fault) {
    case Fault::kFail:
      metrics_.CountFault("fail");
      res.status = 500;
      res.set_content(FormatDetail("injected failure (--fail-rate)"), kJson);
      return true;
    case Fault::kOverload:
      metrics_.CountFault("overload");
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content(FormatDetail("injected overload (--overload-rate)"), kJson);
      return true;
    case Fault::kGarbage:
      metrics_.CountFault("garbage");
      res.status = 200;
      res.set_content("<html><body>502 Bad Gateway (injected garbage)</body>", "text/html");
      return true;
    case Fault::kNone:
    case Fault::kHang:  // a hang that ran its course answers normally, late
      return false;
  }
  return false;
}

void ClassifierServer::Impl::Classify(const httplib::Request& req, httplib::Response& res,
                                      bool batch) {
  ParsedTexts parsed = batch ? ParseBatchBody(req.body, options_.text_field, options_.max_batch)
                             : ParseClassifyBody(req.body, options_.text_field);
  if (parsed.error) {
    res.status = parsed.error->status;
    res.set_content(FormatDetail(parsed.error->detail), kJson);
    return;
  }
  std::vector<Prediction> predictions;
  predictions.reserve(parsed.texts.size());
  for (const std::string& text : parsed.texts) predictions.push_back(model_->Predict(text));
  metrics_.CountTexts(predictions.size());
  res.set_content(batch ? FormatPredictions(predictions) : FormatPrediction(predictions.front()),
                  kJson);
}

void ClassifierServer::Impl::ChatComplete(const httplib::Request& req, httplib::Response& res) {
  ChatRequest chat = ParseChatBody(req.body);
  if (chat.error) {
    res.status = chat.error->status;
    res.set_content(FormatDetail(chat.error->detail), kJson);
    return;
  }
  const Prediction prediction = model_->Predict(chat.text);
  metrics_.CountTexts(1);
  double noise_draw = 1;
  double style_draw = 0;
  if (options_.answer_style == AnswerStyle::kNoisy) {
    std::lock_guard<std::mutex> lock(answer_mutex_);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    noise_draw = uniform(answer_rng_);
    style_draw = uniform(answer_rng_);
  }
  const std::string content = AnswerFor(prediction.label, options_.answer_style,
                                        options_.noisy_rate, noise_draw, style_draw,
                                        model_->labels());
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  res.set_content(FormatChatCompletion(content, chat.model, chat.prompt_tokens,
                                       chat_sequence_.fetch_add(1) + 1,
                                       std::chrono::duration_cast<std::chrono::seconds>(now).count()),
                  kJson);
}

bool ClassifierServer::Impl::WaitUnlessStopping(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  if (duration.count() > 0) stop_cv_.wait_for(lock, duration, [this] { return stopping_; });
  return !stopping_;
}

Result<std::unique_ptr<ClassifierServer>> ClassifierServer::Start(ClassifierOptions options) {
  SIEVE_RETURN_IF_ERROR(options.Validate());
  Result<std::shared_ptr<const NaiveBayesModel>> model = ResolveModel(options);
  if (!model.ok()) return model.status();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(model).value());
  SIEVE_RETURN_IF_ERROR(impl->Run());
  return std::unique_ptr<ClassifierServer>(new ClassifierServer(std::move(impl)));
}

ClassifierServer::ClassifierServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClassifierServer::~ClassifierServer() { Stop(); }
int ClassifierServer::port() const { return impl_->port(); }
const std::string& ClassifierServer::host() const { return impl_->host(); }
const std::vector<std::string>& ClassifierServer::labels() const { return impl_->model().labels(); }
std::shared_ptr<prometheus::Registry> ClassifierServer::metrics_registry() const {
  return impl_->metrics_registry();
}
void ClassifierServer::Stop() { impl_->Stop(); }

}  // namespace sieve::classifier
