#include "client/run_identity.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>

#include "common/csv_chunker.h"
#include "common/header_secrets.h"

namespace sieve {
namespace {

constexpr const char* kVersion = "sieve-run-v1";

// "SIZE:SHA256-hex" of one input file.
Result<std::string> FileDigest(const std::string& path) {
  Result<std::unique_ptr<CsvSource>> source = OpenCsvFile(path);
  if (!source.ok()) return source.status();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("SHA-256 is not available");
  }
  std::string block(1 << 20, '\0');
  uint64_t size = 0;
  while (true) {
    Result<size_t> n = (*source)->Read(block.data(), block.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    size += *n;
    EVP_DigestUpdate(ctx.get(), block.data(), *n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = std::to_string(size) + ":";
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 15];
  }
  return text;
}

// "key=value" words of a run_inputs value.
std::map<std::string, std::string> Words(const std::string& run_inputs) {
  std::map<std::string, std::string> words;
  size_t start = 0;
  while (start < run_inputs.size()) {
    size_t end = run_inputs.find(' ', start);
    if (end == std::string::npos) end = run_inputs.size();
    std::string word = run_inputs.substr(start, end - start);
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      words[word] = "";
    } else {
      words[word.substr(0, eq)] = word.substr(eq + 1);
    }
    start = end + 1;
  }
  return words;
}

// Every JobSpec field as text, by its wire name (the schema's visitor).
struct SpecText {
  std::map<std::string, std::string> fields;

  void Field(const char* name, const std::string& value, proto::Rule) { fields[name] = value; }
  void Field(const char* name, const std::vector<std::string>& value, proto::Rule) {
    std::string text;
    for (const std::string& v : value) text += (text.empty() ? "" : ",") + v;
    fields[name] = text;
  }
  template <typename T>
  requires std::is_arithmetic_v<T>
  void Field(const char* name, const T& value, proto::Rule) {
    fields[name] = std::to_string(value);
  }
  template <typename T>
  void Field(const char* name, const std::optional<T>& value, proto::Rule rule) {
    if (value) {
      Field(name, *value, rule);
    } else {
      fields[name] = "(none)";
    }
  }
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The spec as it counts for identity: the options a re-run may change cleared, credential
// headers reduced to their names (sorted, any case), the bundled endpoint cleared.
std::map<std::string, std::string> IdentityFields(proto::JobSpec spec) {
  std::vector<std::string> credential_names;
  for (const std::string& name : spec.withheld_headers) credential_names.push_back(Lower(name));
  std::vector<std::string> kept;
  for (const std::string& header : spec.headers) {
    if (IsLiteralCredential(header, spec.secret_headers)) {
      credential_names.push_back(Lower(HeaderNameOf(header)));
    } else {
      kept.push_back(header);
    }
  }
  std::sort(credential_names.begin(), credential_names.end());
  spec.headers = std::move(kept);
  spec.withheld_headers = std::move(credential_names);
  spec.max_cost.clear();
  spec.max_tokens = 0;
  spec.name.clear();
  if (UsesBundledEndpoint(spec.run_inputs)) {
    spec.endpoint.clear();
    spec.endpoints.clear();
  }
  spec.run_inputs.clear();  // compared word by word (RunDifferences)
  SpecText text;
  proto::JobSpec::Schema(spec, text);
  return text.fields;
}

// The option a user writes for a JobSpec field.
std::string FlagOf(const std::string& field) {
  static const std::map<std::string, std::string> kFlags = {
      {"timeout_ms", "--timeout"},
      {"connect_timeout_ms", "--connect-timeout"},
      {"endpoints", "--endpoint (the pool)"},
      {"withheld_headers", "--header (credential header names)"},
      {"headers", "--header"},
      {"secret_headers", "--secret-header"},
  };
  auto it = kFlags.find(field);
  if (it != kFlags.end()) return it->second;
  std::string flag = "--" + field;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string Shorten(const std::string& value) {
  if (value.empty()) return "(none)";
  return value.size() <= 60 ? value : value.substr(0, 57) + "...";
}

}  // namespace

Result<std::string> RunInputsOf(const JobRequest& request, bool bundled_endpoint) {
  std::string inputs;
  for (const std::string& path : request.inputs) {
    Result<std::string> digest = FileDigest(path);
    if (!digest.ok()) return digest.status();
    inputs += (inputs.empty() ? "" : ",") + *digest;
  }
  return std::string(kVersion) + " endpoint=" + (bundled_endpoint ? "bundled" : "given") +
         " chunk_rows=" + std::to_string(request.chunk_rows) +
         " chunk_bytes=" + std::to_string(request.chunk_bytes) + " inputs=" + inputs;
}

bool UsesBundledEndpoint(const std::string& run_inputs) {
  return run_inputs.rfind(kVersion, 0) == 0 && Words(run_inputs)["endpoint"] == "bundled";
}

std::vector<std::string> RunDifferences(const proto::JobSpec& stored,
                                        const proto::JobSpec& wanted) {
  std::vector<std::string> differences;
  std::map<std::string, std::string> was = Words(stored.run_inputs);
  std::map<std::string, std::string> now = Words(wanted.run_inputs);
  if (!was.contains(kVersion)) {
    differences.push_back(
        "the job was not started by this version of sieve run (it has no "
        "record of its inputs)");
    return differences;
  }
  if (was["inputs"] != now["inputs"]) differences.push_back("the inputs (their size or content)");
  for (const char* word : {"chunk_rows", "chunk_bytes"}) {
    if (was[word] != now[word]) {
      differences.push_back(FlagOf(word) + " (was " + was[word] + ", now " + now[word] + ")");
    }
  }
  if (was["endpoint"] != now["endpoint"]) {
    const bool bundled = was["endpoint"] == "bundled";
    differences.push_back(std::string("--endpoint (") +
                          (bundled ? "the job used the bundled classifier, now "
                                   : "the job used " + stored.endpoint + ", now ") +
                          (bundled ? Shorten(wanted.endpoint) : "the bundled classifier") + ")");
    return differences;  // every other endpoint field differs with it
  }
  std::map<std::string, std::string> before = IdentityFields(stored);
  std::map<std::string, std::string> after = IdentityFields(wanted);
  for (const auto& [field, value] : after) {
    auto it = before.find(field);
    const std::string old = it == before.end() ? "" : it->second;
    if (old == value) continue;
    const bool secret_looking = field == "headers" || field == "body_template";
    differences.push_back(
        FlagOf(field) +
        (secret_looking ? "" : " (was " + Shorten(old) + ", now " + Shorten(value) + ")"));
  }
  return differences;
}

}  // namespace sieve
