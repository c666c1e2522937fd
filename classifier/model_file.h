// Model file: the on-disk form of a NaiveBayesModel.
//
// Layout (all integers little-endian, doubles as IEEE-754 binary64 bit patterns):
//   magic        8 bytes  "SIEVENB\x1a"
//   version      u32      kModelFileVersion
//   num_labels   u32      2 .. kMaxLabels
//   vocab_size   u32      0 .. kMaxVocabulary
//   labels       num_labels  x (u32 length 1..kMaxStringBytes, bytes)
//   log_priors   num_labels  x f64
//   vocabulary   vocab_size  x (u32 length 1..kMaxStringBytes, bytes), strictly increasing
//   likelihoods  vocab_size * num_labels x f64 (row = token)
//   checksum     u64      FNV-1a 64 of every preceding byte
// Parsing checks every count against the bytes that remain before allocating, rejects trailing
// bytes, a wrong checksum and any value NaiveBayesModel::FromParameters refuses, so a truncated,
// corrupt or foreign file is reported as Corrupt / VersionMismatch, never a crash.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "classifier/naive_bayes.h"
#include "common/status.h"

namespace sieve::classifier {

inline constexpr std::uint32_t kModelFileVersion = 1;
inline constexpr std::uint32_t kMaxLabels = 1024;
inline constexpr std::uint32_t kMaxVocabulary = 1u << 22;
inline constexpr std::uint32_t kMaxStringBytes = 255;
inline constexpr std::uint64_t kMaxModelFileBytes = 1ull << 30;

// Encodes `model` in the layout above.
std::string SerializeModel(const NaiveBayesModel& model);

// Decodes bytes produced by SerializeModel. Corrupt / VersionMismatch on bad input.
Result<NaiveBayesModel> ParseModel(std::string_view bytes);

// Writes the model to `path` atomically and durably (common/file_util.h WriteFileAtomic).
Status SaveModel(const NaiveBayesModel& model, const std::string& path);

// Reads and parses the model at `path`. NotFound / IoError / TooLarge, or ParseModel's errors,
// each message naming the path.
Result<NaiveBayesModel> LoadModel(const std::string& path);

}  // namespace sieve::classifier
