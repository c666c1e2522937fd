#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace sieve {
namespace {

std::string JsonString(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The first "job j<16 hex>" in `message`, or empty.
std::string_view FindJobId(std::string_view message) {
  constexpr std::string_view kPrefix = "job j";
  for (size_t at = message.find(kPrefix); at != std::string_view::npos;
       at = message.find(kPrefix, at + 1)) {
    std::string_view id = message.substr(at + 4, 17);
    if (id.size() < 17) return {};
    bool hex = true;
    for (char c : id.substr(1)) hex &= std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (hex) return id;
  }
  return {};
}

// The first "chunk <digits>" in `message`, or empty.
std::string_view FindChunkIndex(std::string_view message) {
  constexpr std::string_view kPrefix = "chunk ";
  for (size_t at = message.find(kPrefix); at != std::string_view::npos;
       at = message.find(kPrefix, at + 1)) {
    size_t begin = at + kPrefix.size();
    size_t end = begin;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    if (end > begin && end - begin <= 20) return message.substr(begin, end - begin);
  }
  return {};
}

std::string IsoTime(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof(buffer) - n, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  return buffer;
}

class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     msg.time.time_since_epoch())
                     .count();
    spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    std::string line =
        FormatJsonLogLine(ms, std::string_view(level.data(), level.size()),
                          std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                          std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::string FormatJsonLogLine(int64_t epoch_ms, std::string_view level, std::string_view logger,
                              std::string_view message) {
  std::string line = "{\"time\":\"" + IsoTime(epoch_ms) + "\",\"level\":" + JsonString(level) +
                     ",\"logger\":" + JsonString(logger) + ",\"msg\":" + JsonString(message);
  if (std::string_view job = FindJobId(message); !job.empty()) {
    line += ",\"job\":\"" + std::string(job) + "\"";
  }
  if (std::string_view chunk = FindChunkIndex(message); !chunk.empty()) {
    line += ",\"chunk\":" + std::string(chunk);
  }
  line += '}';
  return line;
}

Status ConfigureLogging(const std::string& name, std::string_view format,
                        std::string_view level) {
  if (format != "text" && format != "json") {
    return Status::InvalidArgument("--log-format must be text or json, not '" +
                                   std::string(format) + "'");
  }
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("unknown log level '" + std::string(level) + "'");
  }
  auto logger = std::make_shared<spdlog::logger>(
      name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v"));
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
  return Status::Ok();
}

}  // namespace sieve
