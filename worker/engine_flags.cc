#include "worker/engine_flags.h"

#include <filesystem>
#include <map>

namespace sieve {
namespace {

void AddMillis(CLI::App& app, const std::string& name, std::chrono::milliseconds& target,
               const std::string& help) {
  app.add_option_function<int64_t>(
         name, [&target](const int64_t& ms) { target = std::chrono::milliseconds(ms); },
         help + " (default " + std::to_string(target.count()) + ")")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void AddCaFileFlag(CLI::App& app, std::string& ca_file) {
  app.add_option("--ca-file", ca_file,
                 "PEM file of the CAs that sign the https:// endpoints' certificates (a "
                 "private CA; Debian's libcurl also keeps trusting the system's store)")
      ->transform(CLI::Validator(
          [](std::string& path) {
            Status valid = ValidateCaFile(path);
            if (!valid.ok()) return valid.message();
            std::error_code ec;
            std::filesystem::path absolute = std::filesystem::absolute(path, ec);
            if (!ec) path = absolute.string();  // else keep it as given (no working directory)
            return std::string();
          },
          "PEM", "ca-file"));
}

void AddEngineFlags(CLI::App& app, EngineOptions& o) {
  app.add_option("--endpoint", o.endpoint, "inference URL that takes one POST per row")
      ->required();
  app.add_option("--concurrency", o.concurrency, "requests in flight at most")
      ->capture_default_str();
  app.add_flag("--adaptive", o.adaptive,
               "AIMD: halve the limit on 429/503/timeouts, grow it back while healthy");
  app.add_option("--min-concurrency", o.min_concurrency, "lower bound of the adaptive limit")
      ->capture_default_str();
  app.add_option("--batch-size", o.batch_size,
                 "rows per request; > 1 posts JSON arrays and expects arrays back")
      ->capture_default_str();
  app.add_option("--fields", o.fields, "columns to send (comma-separated); default: all")
      ->delimiter(',');
  app.add_option("--header", o.headers, "extra request header 'Name: value' (repeatable)");
  app.add_option("--label-field", o.label_field,
                 "key or JSON pointer (/result/label) of the label in the answer")
      ->capture_default_str();
  app.add_option("--error-label", o.error_label, "label of a row that failed")
      ->capture_default_str();
  AddMillis(app, "--timeout-ms", o.timeout, "per-request timeout");
  AddMillis(app, "--connect-timeout-ms", o.connect_timeout, "connect timeout");
  app.add_option("--retries", o.retries, "retries after the first attempt")
      ->capture_default_str();
  AddMillis(app, "--backoff-base-ms", o.backoff.base, "first retry waits up to this");
  AddMillis(app, "--backoff-max-ms", o.backoff.max, "backoff ceiling");
  app.add_option("--retry-budget", o.retry_budget_ratio,
                 "retries a chunk may spend per row (at least 16 per chunk)")
      ->capture_default_str();
  app.add_option("--max-response-bytes", o.max_response_bytes, "larger answers are errors")
      ->capture_default_str();
  app.add_option("--http", o.http_version, "1.1, 2 (over TLS when offered), or h2c")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, HttpVersion>{{"1.1", HttpVersion::kHttp1},
                                             {"2", HttpVersion::kDefault},
                                             {"h2c", HttpVersion::kHttp2PriorKnowledge}}));
  app.add_option("--http-client", o.http_client,
                 "auto (native HTTP/1.1 for http:// without a proxy, libcurl otherwise), curl, "
                 "or native")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, HttpClient>{{"auto", HttpClient::kAuto},
                                            {"curl", HttpClient::kCurl},
                                            {"native", HttpClient::kNative}}));
  AddCaFileFlag(app, o.ca_file);
  app.add_option("--seed", o.seed, "seed of the retry jitter (0: random)");
}

}  // namespace sieve
