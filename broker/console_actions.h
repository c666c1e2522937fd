// The web console's write side: actions (cancel a job, ...) a person asks for in the browser.
//
//   POST /api/v1/console/jobs/<job id>/<action>    Authorization: Bearer <token>
//        body (optional): {"by": "<name for the log>"}
//   200 {"ok": true, "job_id", "action"} | 4xx/5xx {"error": "..."}
//
// DESIGN
// Actions are off unless the broker is given --console-token FILE. Then a request must carry
// that token in an Authorization header (never a cookie: a cross-site page cannot make the
// browser add the header, and the server answers no CORS preflight), and must not come from a
// page of another origin: a Sec-Fetch-Site other than "same-origin"/"none", or an Origin that
// is not this server's own (http(s)://<Host>), is refused before the token is even looked at.
// Every refusal and every action is logged with who (the "by" name, unverified, and the peer's
// address) and what.
// The HTTP thread never touches broker state: it pushes a ConsoleAction on a ConsoleActionQueue
// and waits (at most kActionTimeout) for the broker loop, which drains the queue once per
// iteration (Broker::DrainConsoleActions, broker_console.cc) and fulfils each action's promise.
//
// Thread-safety: ConsoleActionQueue and ConsoleGate are thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics_server.h"
#include "common/status.h"

namespace sieve {

struct ConsoleAction {
  std::string name;    // one of the broker's console action names ("cancel", ...)
  std::string job_id;
  std::string who;     // "<by> at <address>" for the log
  std::promise<Status> done;
};

class ConsoleActionQueue {
 public:
  // Queues `action`; its future is fulfilled by the loop.
  std::future<Status> Push(ConsoleAction action);
  // Everything queued so far, oldest first (the loop's side). O(queued).
  std::vector<ConsoleAction> TakeAll();

 private:
  std::mutex mutex_;
  std::deque<ConsoleAction> queue_;  // GUARDED_BY(mutex_)
};

// Reads the console token from `path`: its first line, trimmed. InvalidArgument when the file
// cannot be read, is readable by group or others, or the token is shorter than 16 characters.
Result<std::string> LoadConsoleToken(const std::string& path);

class ConsoleGate {
 public:
  static constexpr std::chrono::seconds kActionTimeout{10};

  // `token` empty: actions are off (every action request is refused with 403).
  // `actions`: the action names the broker knows. `queue` must outlive the gate.
  ConsoleGate(std::string token, std::vector<std::string> actions, ConsoleActionQueue& queue);

  HttpAnswer Handle(const HttpRequest& request) const;
  // POST /api/v1/console/jobs/<id>/<action>, bound to this gate (which must outlive the server).
  std::vector<HttpRoute> Routes() const;

 private:
  // Empty when the request may go on; else why it is refused (and its HTTP status).
  std::pair<int, std::string> Refusal(const HttpRequest& request) const;

  const std::string token_;
  const std::vector<std::string> actions_;
  ConsoleActionQueue& queue_;
};

}  // namespace sieve
