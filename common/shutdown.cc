#include "common/shutdown.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace sieve {
namespace {

// The one piece of process-wide mutable state: what a signal handler may touch.
std::atomic<bool> g_signalled{false};

extern "C" void OnShutdownSignal(int) { g_signalled.store(true); }

}  // namespace

Status RunUntilSignalled(const std::function<Status()>& run, const std::function<void()>& stop) {
  struct sigaction action {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::atomic<bool> finished{false};
  Status result;
  std::thread loop([&] {
    result = run();
    finished.store(true);
  });
  while (!finished.load()) {
    if (g_signalled.load()) {
      stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  loop.join();
  return result;
}

}  // namespace sieve
