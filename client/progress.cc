#include "client/progress.h"

#include <algorithm>

namespace sieve {

ProgressReporter::ProgressReporter(std::FILE* out, bool terminal,
                                   std::chrono::seconds plain_interval)
    : out_(out),
      terminal_(terminal),
      plain_interval_(plain_interval),
      start_(std::chrono::steady_clock::now()) {}

std::string ProgressReporter::Format(const proto::JobStatus& status,
                                     std::chrono::milliseconds elapsed, bool with_bar) {
  double seconds = std::max(0.001, elapsed.count() / 1000.0);
  double rate = status.done_rows / seconds;
  std::string line;
  if (with_bar) {
    constexpr int kWidth = 24;
    int filled = status.total_rows == 0
                     ? 0
                     : static_cast<int>(kWidth * std::min<double>(
                                                     1.0, double(status.done_rows) / status.total_rows));
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
  }
  line += std::to_string(status.done_rows) + "/" +
          (status.total_rows == 0 ? std::string("?") : std::to_string(status.total_rows)) +
          " rows  " + std::to_string(static_cast<uint64_t>(rate)) + " rows/s  " +
          std::to_string(status.error_rows) + " errors";
  if (status.total_rows > status.done_rows && rate > 0) {
    auto eta = static_cast<uint64_t>((status.total_rows - status.done_rows) / rate);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "  ETA %llu:%02llu", static_cast<unsigned long long>(eta / 60),
                  static_cast<unsigned long long>(eta % 60));
    line += buf;
  }
  return line;
}

void ProgressReporter::Update(const proto::JobStatus& status, bool final) {
  auto now = std::chrono::steady_clock::now();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s%s", Format(status, elapsed, true).c_str(), final ? "\n" : "");
  } else {
    if (!final && now - last_print_ < plain_interval_) return;
    std::fprintf(out_, "progress: %s\n", Format(status, elapsed, false).c_str());
  }
  last_print_ = now;
  std::fflush(out_);
}

}  // namespace sieve
