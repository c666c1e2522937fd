#include "broker/console_actions.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

namespace sieve {
namespace {

constexpr size_t kMinTokenChars = 16;
constexpr size_t kMaxByChars = 64;

HttpAnswer Error(int status, const std::string& message) {
  return {status, nlohmann::json{{"error", message}}.dump() + "\n"};
}

// Compares without stopping at the first difference, so timing tells nothing of the token.
bool SameToken(const std::string& given, const std::string& token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  }
  return diff == 0;
}

// The "by" name from the body, printable ASCII only and short; "someone" when absent.
std::string ByName(const std::string& body) {
  std::string by;
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("by") && parsed["by"].is_string()) {
    for (char c : parsed["by"].get<std::string>()) {
      if (c >= 0x20 && c < 0x7f && by.size() < kMaxByChars) by += c;
    }
  }
  return by.empty() ? "someone" : by;
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound: return 404;
    case Status::Code::kInvalidArgument: return 409;
    case Status::Code::kPermissionDenied: return 403;
    default: return 500;
  }
}

}  // namespace

std::future<Status> ConsoleActionQueue::Push(ConsoleAction action) {
  std::future<Status> done = action.done.get_future();
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(action));
  return done;
}

std::vector<ConsoleAction> ConsoleActionQueue::TakeAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ConsoleAction> taken(std::make_move_iterator(queue_.begin()),
                                   std::make_move_iterator(queue_.end()));
  queue_.clear();
  return taken;
}

Result<std::string> LoadConsoleToken(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::InvalidArgument("cannot read the console token file " + path);
  }
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument("the console token file " + path +
                                   " is readable by group or others: chmod 600 it");
  }
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    return Status::InvalidArgument("cannot read the console token file " + path);
  }
  const auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  token.erase(token.begin(), std::find_if_not(token.begin(), token.end(), blank));
  token.erase(std::find_if_not(token.rbegin(), token.rend(), blank).base(), token.end());
  if (token.size() < kMinTokenChars) {
    return Status::InvalidArgument("the console token in " + path + " is shorter than " +
                                   std::to_string(kMinTokenChars) + " characters");
  }
  return token;
}

ConsoleGate::ConsoleGate(std::string token, std::vector<std::string> actions,
                         ConsoleActionQueue& queue)
    : token_(std::move(token)), actions_(std::move(actions)), queue_(queue) {}

std::pair<int, std::string> ConsoleGate::Refusal(const HttpRequest& request) const {
  if (token_.empty()) {
    return {403, "console actions are off: the broker was started without --console-token"};
  }
  const std::string site = request.Header("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return {403, "refused: a request from another site (Sec-Fetch-Site: " + site + ")"};
  }
  const std::string origin = request.Header("Origin");
  const std::string host = request.Header("Host");
  if (!origin.empty() && origin != "http://" + host && origin != "https://" + host) {
    return {403, "refused: a request from another origin (" + origin + ")"};
  }
  const std::string authorization = request.Header("Authorization");
  const std::string bearer = "Bearer ";
  if (authorization.rfind(bearer, 0) != 0 ||
      !SameToken(authorization.substr(bearer.size()), token_)) {
    return {401, "refused: no valid console token (Authorization: Bearer ...)"};
  }
  return {0, ""};
}

HttpAnswer ConsoleGate::Handle(const HttpRequest& request) const {
  const std::string job_id = request.captures.at(0);
  const std::string action = request.captures.at(1);
  const std::string who = ByName(request.body) + " at " + request.remote;
  auto [status, why] = Refusal(request);
  if (status != 0) {
    spdlog::warn("console: {} of job {} asked by {}: {}", action, job_id, who, why);
    return Error(status, why);
  }
  if (std::find(actions_.begin(), actions_.end(), action) == actions_.end()) {
    spdlog::warn("console: unknown action {} on job {} asked by {}", action, job_id, who);
    return Error(404, "no console action " + action);
  }
  ConsoleAction queued;
  queued.name = action;
  queued.job_id = job_id;
  queued.who = who;
  std::future<Status> done = queue_.Push(std::move(queued));
  if (done.wait_for(kActionTimeout) != std::future_status::ready) {
    return Error(503, "the broker did not carry out the action in time");
  }
  Status s = done.get();
  if (!s.ok()) return Error(HttpStatusOf(s), s.message());
  nlohmann::json out = {{"ok", true}, {"job_id", job_id}, {"action", action}};
  return {200, out.dump() + "\n"};
}

std::vector<HttpRoute> ConsoleGate::Routes() const {
  HttpRoute route;
  route.pattern = R"(/api/v1/console/jobs/(j[0-9a-f]{16})/([a-z_]{1,32}))";
  route.method = "POST";
  route.request_handler = [this](const HttpRequest& request) { return Handle(request); };
  return {route};
}

}  // namespace sieve
