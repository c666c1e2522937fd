#include "classifier/model_file.h"

#include <bit>
#include <utility>

#include "common/file_util.h"

namespace sieve::classifier {
namespace {

constexpr std::string_view kMagic("SIEVENB\x1a", 8);

std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

class Writer {
 public:
  void Bytes(std::string_view b) { out_.append(b); }
  void U32(std::uint32_t v) { Little(v, 4); }
  void U64(std::uint64_t v) { Little(v, 8); }
  void F64(double v) { U64(std::bit_cast<std::uint64_t>(v)); }
  void String(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    Bytes(s);
  }
  std::string& out() { return out_; }

 private:
  void Little(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string out_;
};

// Bounds-checked reader: every method fails instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }

  Result<std::string_view> Bytes(std::size_t n, const char* what) {
    if (n > remaining()) return Status::Corrupt(std::string("model file truncated in ") + what);
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  Result<std::uint64_t> Little(int n, const char* what) {
    Result<std::string_view> raw = Bytes(static_cast<std::size_t>(n), what);
    if (!raw.ok()) return raw.status();
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>((*raw)[i]);
    return v;
  }
  Result<std::uint32_t> U32(const char* what) {
    Result<std::uint64_t> v = Little(4, what);
    if (!v.ok()) return v.status();
    return static_cast<std::uint32_t>(*v);
  }
  Result<double> F64(const char* what) {
    Result<std::uint64_t> v = Little(8, what);
    if (!v.ok()) return v.status();
    return std::bit_cast<double>(*v);
  }
  Result<std::string> String(const char* what) {
    Result<std::uint32_t> len = U32(what);
    if (!len.ok()) return len.status();
    if (*len == 0 || *len > kMaxStringBytes) {
      return Status::Corrupt(std::string("model file has a bad string length in ") + what);
    }
    Result<std::string_view> raw = Bytes(*len, what);
    if (!raw.ok()) return raw.status();
    return std::string(*raw);
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

Status ReadStrings(Reader* reader, std::uint32_t count, const char* what,
                   std::vector<std::string>* out) {
  // Each string takes at least 5 bytes: refuse counts the file cannot hold before reserving.
  if (count > reader->remaining() / 5) {
    return Status::Corrupt(std::string("model file too short for its ") + what);
  }
  out->reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    Result<std::string> s = reader->String(what);
    if (!s.ok()) return s.status();
    out->push_back(std::move(s).value());
  }
  return Status::Ok();
}

Status ReadDoubles(Reader* reader, std::uint64_t count, const char* what,
                   std::vector<double>* out) {
  if (count > reader->remaining() / 8) {
    return Status::Corrupt(std::string("model file too short for its ") + what);
  }
  out->reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Result<double> v = reader->F64(what);
    if (!v.ok()) return v.status();
    out->push_back(*v);
  }
  return Status::Ok();
}

Status ReadHeader(Reader* reader, std::uint32_t* num_labels, std::uint32_t* vocab_size) {
  Result<std::string_view> magic = reader->Bytes(kMagic.size(), "magic");
  if (!magic.ok() || *magic != kMagic) {
    return Status::Corrupt("not a sieve-classifier model file (bad magic)");
  }
  Result<std::uint32_t> version = reader->U32("version");
  if (!version.ok()) return version.status();
  if (*version != kModelFileVersion) {
    return Status::VersionMismatch("model file version " + std::to_string(*version) +
                                   ", this build reads version " +
                                   std::to_string(kModelFileVersion));
  }
  Result<std::uint32_t> labels = reader->U32("label count");
  Result<std::uint32_t> vocab = reader->U32("vocabulary size");
  if (!labels.ok()) return labels.status();
  if (!vocab.ok()) return vocab.status();
  if (*labels < 2 || *labels > kMaxLabels) {
    return Status::Corrupt("model file label count out of range: " + std::to_string(*labels));
  }
  if (*vocab > kMaxVocabulary) {
    return Status::Corrupt("model file vocabulary size out of range: " + std::to_string(*vocab));
  }
  *num_labels = *labels;
  *vocab_size = *vocab;
  return Status::Ok();
}

}  // namespace

std::string SerializeModel(const NaiveBayesModel& model) {
  const NaiveBayesModel::Parameters& p = model.parameters();
  Writer w;
  w.Bytes(kMagic);
  w.U32(kModelFileVersion);
  w.U32(static_cast<std::uint32_t>(p.labels.size()));
  w.U32(static_cast<std::uint32_t>(p.vocabulary.size()));
  for (const std::string& label : p.labels) w.String(label);
  for (double v : p.log_priors) w.F64(v);
  for (const std::string& token : p.vocabulary) w.String(token);
  for (double v : p.log_likelihoods) w.F64(v);
  w.U64(Fnv1a64(w.out()));
  return std::move(w.out());
}

Result<NaiveBayesModel> ParseModel(std::string_view bytes) {
  if (bytes.size() < 8) return Status::Corrupt("model file too short");
  Reader reader(bytes.substr(0, bytes.size() - 8));
  std::uint32_t num_labels = 0;
  std::uint32_t vocab_size = 0;
  SIEVE_RETURN_IF_ERROR(ReadHeader(&reader, &num_labels, &vocab_size));
  NaiveBayesModel::Parameters params;
  SIEVE_RETURN_IF_ERROR(ReadStrings(&reader, num_labels, "labels", &params.labels));
  SIEVE_RETURN_IF_ERROR(ReadDoubles(&reader, num_labels, "priors", &params.log_priors));
  SIEVE_RETURN_IF_ERROR(ReadStrings(&reader, vocab_size, "vocabulary", &params.vocabulary));
  SIEVE_RETURN_IF_ERROR(ReadDoubles(&reader, std::uint64_t{vocab_size} * num_labels, "likelihoods",
                                    &params.log_likelihoods));
  if (reader.remaining() != 0) return Status::Corrupt("model file has trailing bytes");
  Reader trailer(bytes.substr(bytes.size() - 8));
  Result<std::uint64_t> checksum = trailer.Little(8, "checksum");
  if (!checksum.ok() || *checksum != Fnv1a64(bytes.substr(0, bytes.size() - 8))) {
    return Status::Corrupt("model file checksum mismatch");
  }
  return NaiveBayesModel::FromParameters(std::move(params));
}

Status SaveModel(const NaiveBayesModel& model, const std::string& path) {
  return WriteFileAtomic(path, SerializeModel(model));
}

Result<NaiveBayesModel> LoadModel(const std::string& path) {
  Result<std::uint64_t> size = FileSize(path);
  if (!size.ok()) {
    return size.status().code() == Status::Code::kNotFound
               ? Status::NotFound("model file " + path + " does not exist")
               : size.status();
  }
  if (*size > kMaxModelFileBytes) {
    return Status::TooLarge("model file " + path + " is larger than 1 GiB");
  }
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  Result<NaiveBayesModel> model = ParseModel(*bytes);
  if (!model.ok()) {
    const Status s = model.status();
    return s.code() == Status::Code::kVersionMismatch
               ? Status::VersionMismatch(path + ": " + s.message())
               : Status::Corrupt(path + ": " + s.message());
  }
  return model;
}

}  // namespace sieve::classifier
