// Schema walkers: the field-level half of the codec (internal to proto/; use proto/codec.h).
//
// DESIGN: a message struct's static Schema(m, v) calls v.Field(key, member, rule) for each
// header field and v.Bulk(member) for each bulk frame. The walkers here implement `v`:
//   FieldCounter  counts the fields that will be written (to size the msgpack map)
//   FieldPacker   writes key/value pairs with a msgpack::packer
//   FieldReader   reads members from a parsed msgpack map, refusing wrong types, missing
//                 required fields, duplicate keys and invalid job ids; ignoring unknown keys
//   BulkCounter, BulkAppender, BulkTaker  count and move bulk frames
// Supported member types: std::string, bool, unsigned integers, JobState/ErrorCode, structs
// with a Schema, std::vector and std::optional of those.
// Cost of reading a map with n entries: at most n key comparisons per schema field.
//
// Thread-safety: walkers are single-use values.
#pragma once

#include <concepts>
#include <cstddef>
#include <limits>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/status.h"
#include "proto/frames.h"
#include "proto/message_parts.h"

namespace sieve::proto::internal {

struct AnyWalker {};
template <typename T>
concept HasSchema = requires(T& t, AnyWalker& walker) {
  T::Schema(t, walker);
};

template <typename T>
concept WireUnsigned = std::unsigned_integral<T> && !std::same_as<T, bool>;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// ------------------------------------------------------------------------------- encoding

using Packer = msgpack::packer<msgpack::sbuffer>;

class FieldCounter {
 public:
  template <typename T>
  void Field(std::string_view, const T& member, Rule) {
    if constexpr (IsOptional<T>::value) {
      count_ += member.has_value() ? 1 : 0;
    } else {
      ++count_;
    }
  }
  void Bulk(const std::string&) {}
  std::size_t count() const { return count_; }

 private:
  std::size_t count_ = 0;
};

void PackString(Packer& packer, std::string_view s);

template <typename T>
void PackValue(Packer& packer, const T& value);

template <typename S>
void PackStruct(Packer& packer, const S& s);

class FieldPacker {
 public:
  explicit FieldPacker(Packer& packer) : packer_(packer) {}
  template <typename T>
  void Field(std::string_view key, const T& member, Rule) {
    if constexpr (IsOptional<T>::value) {
      if (!member.has_value()) return;
      PackString(packer_, key);
      PackValue(packer_, *member);
    } else {
      PackString(packer_, key);
      PackValue(packer_, member);
    }
  }
  void Bulk(const std::string&) {}

 private:
  Packer& packer_;
};

template <typename T>
void PackValue(Packer& packer, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    PackString(packer, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    value ? packer.pack_true() : packer.pack_false();
  } else if constexpr (WireUnsigned<T>) {
    packer.pack_uint64(value);
  } else if constexpr (std::is_enum_v<T>) {
    PackString(packer, EnumName(value));
  } else if constexpr (HasSchema<T>) {
    PackStruct(packer, value);
  } else {  // std::vector<E>
    packer.pack_array(static_cast<std::uint32_t>(value.size()));
    for (const auto& element : value) PackValue(packer, element);
  }
}

template <typename S>
void PackStruct(Packer& packer, const S& s) {
  FieldCounter counter;
  S::Schema(s, counter);
  packer.pack_map(static_cast<std::uint32_t>(counter.count()));
  FieldPacker field_packer(packer);
  S::Schema(s, field_packer);
}

class BulkCounter {
 public:
  template <typename T>
  void Field(std::string_view, const T&, Rule) {}
  void Bulk(const std::string&) { ++count_; }
  std::size_t count() const { return count_; }

 private:
  std::size_t count_ = 0;
};

// Encode: moves the bulk members, in schema order, to the end of `frames`.
class BulkAppender {
 public:
  explicit BulkAppender(Frames* frames) : frames_(frames) {}
  template <typename T>
  void Field(std::string_view, const T&, Rule) {}
  void Bulk(std::string& member) { frames_->push_back(std::move(member)); }

 private:
  Frames* frames_;
};

// Decode: moves frames[0], [1], ... into the bulk members in schema order.
// REQUIRES: frames holds BulkCounter's count of frames.
class BulkTaker {
 public:
  explicit BulkTaker(Frames* frames) : frames_(frames) {}
  template <typename T>
  void Field(std::string_view, const T&, Rule) {}
  void Bulk(std::string& member) { member = std::move((*frames_)[next_++]); }

 private:
  Frames* frames_;
  std::size_t next_ = 0;
};

// ------------------------------------------------------------------------------- decoding

// Where a value sits in the header, rendered only when an error needs it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // a field name, or empty for an array element
  std::size_t index = 0;
  std::string Render() const;
};

Status TypeError(const Path& path, std::string_view want, const msgpack::object& got);
Status ReadScalar(const msgpack::object& o, const Path& path, std::string* out);
Status ReadScalar(const msgpack::object& o, const Path& path, bool* out);
Status ReadScalar(const msgpack::object& o, const Path& path, std::uint64_t* out);
Status ReadEnum(const msgpack::object& o, const Path& path, JobState* out);
Status ReadEnum(const msgpack::object& o, const Path& path, ErrorCode* out);
Status CheckJobId(const std::string& id, const Path& path);

template <typename T>
Status ReadValue(const msgpack::object& o, const Path& path, T* out);

class FieldReader {
 public:
  // REQUIRES: map.type == MAP; `map` outlives the reader.
  FieldReader(const msgpack::object& map, const Path& path) : map_(map), path_(path) {}

  template <typename T>
  void Field(std::string_view key, T& member, Rule rule) {
    if (!status_.ok()) return;
    Path path{&path_, key};
    const msgpack::object* value = Find(key, path);
    if (!status_.ok()) return;
    if (value == nullptr) {
      if (!IsOptional<T>::value && rule != Rule::kOptional) {
        status_ = Status::Corrupt(path.Render() + ": missing required field");
      }
      return;
    }
    if constexpr (IsOptional<T>::value) {
      status_ = ReadChecked(*value, path, rule, &member.emplace());
    } else {
      status_ = ReadChecked(*value, path, rule, &member);
    }
  }
  void Bulk(std::string&) {}
  const Status& status() const { return status_; }

 private:
  // The value under `key`, nullptr when absent; sets status_ when `key` appears twice.
  const msgpack::object* Find(std::string_view key, const Path& path);

  template <typename T>
  static Status ReadChecked(const msgpack::object& o, const Path& path, Rule rule, T* out) {
    SIEVE_RETURN_IF_ERROR(ReadValue(o, path, out));
    if constexpr (std::is_same_v<T, std::string>) {
      if (rule == Rule::kJobId) return CheckJobId(*out, path);
    }
    return Status::Ok();
  }

  const msgpack::object& map_;
  const Path& path_;
  Status status_;
};

template <typename S>
Status ReadStruct(const msgpack::object& o, const Path& path, S* out) {
  if (o.type != msgpack::type::MAP) return TypeError(path, "a map", o);
  FieldReader reader(o, path);
  S::Schema(*out, reader);
  return reader.status();
}

template <typename T>
Status ReadValue(const msgpack::object& o, const Path& path, T* out) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
    return ReadScalar(o, path, out);
  } else if constexpr (WireUnsigned<T>) {
    std::uint64_t wide = 0;
    SIEVE_RETURN_IF_ERROR(ReadScalar(o, path, &wide));
    if (wide > std::numeric_limits<T>::max()) {
      return Status::Corrupt(path.Render() + ": integer out of range");
    }
    *out = static_cast<T>(wide);
    return Status::Ok();
  } else if constexpr (std::is_enum_v<T>) {
    return ReadEnum(o, path, out);
  } else if constexpr (HasSchema<T>) {
    return ReadStruct(o, path, out);
  } else {  // std::vector<E>
    if (o.type != msgpack::type::ARRAY) return TypeError(path, "an array", o);
    out->clear();  // no reserve(): memory grows only with elements that decode
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      Path element{&path, {}, i};
      SIEVE_RETURN_IF_ERROR(ReadValue(o.via.array.ptr[i], element, &out->emplace_back()));
    }
    return Status::Ok();
  }
}

}  // namespace sieve::proto::internal
