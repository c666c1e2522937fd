#include "proto/schema_codec.h"

#include "proto/job_id.h"

namespace sieve::proto::internal {
namespace {

std::string_view TypeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "a boolean";
    case msgpack::type::POSITIVE_INTEGER:
      return "an unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER:
      return "a negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "a float";
    case msgpack::type::STR:
      return "a string";
    case msgpack::type::BIN:
      return "binary";
    case msgpack::type::ARRAY:
      return "an array";
    case msgpack::type::MAP:
      return "a map";
    case msgpack::type::EXT:
      return "an extension";
  }
  return "an unknown type";
}

std::string_view AsStringView(const msgpack::object& o) {
  return std::string_view(o.via.str.ptr, o.via.str.size);
}

}  // namespace

std::string Path::Render() const {
  std::string parent_text = parent != nullptr ? parent->Render() : std::string();
  if (key.empty()) return parent_text + "[" + std::to_string(index) + "]";
  if (parent_text.empty()) return std::string(key);
  return parent_text + "." + std::string(key);
}

void PackString(Packer& packer, std::string_view s) {
  packer.pack_str(static_cast<std::uint32_t>(s.size()));
  packer.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

Status TypeError(const Path& path, std::string_view want, const msgpack::object& got) {
  return Status::Corrupt(path.Render() + ": expected " + std::string(want) + ", got " +
                         std::string(TypeName(got)));
}

Status ReadScalar(const msgpack::object& o, const Path& path, std::string* out) {
  if (o.type != msgpack::type::STR) return TypeError(path, "a string", o);
  out->assign(o.via.str.ptr, o.via.str.size);
  return Status::Ok();
}

Status ReadScalar(const msgpack::object& o, const Path& path, bool* out) {
  if (o.type != msgpack::type::BOOLEAN) return TypeError(path, "a boolean", o);
  *out = o.via.boolean;
  return Status::Ok();
}

Status ReadScalar(const msgpack::object& o, const Path& path, std::uint64_t* out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return TypeError(path, "an unsigned integer", o);
  *out = o.via.u64;
  return Status::Ok();
}

template <typename E>
Status ReadEnumName(const msgpack::object& o, const Path& path, E* out) {
  if (o.type != msgpack::type::STR) return TypeError(path, "a string", o);
  if (!ParseEnumName(AsStringView(o), out)) {
    return Status::Corrupt(path.Render() + ": unknown value");
  }
  return Status::Ok();
}

Status ReadEnum(const msgpack::object& o, const Path& path, JobState* out) {
  return ReadEnumName(o, path, out);
}

Status ReadEnum(const msgpack::object& o, const Path& path, ErrorCode* out) {
  return ReadEnumName(o, path, out);
}

Status CheckJobId(const std::string& id, const Path& path) {
  Status status = ParseJobId(id).status();
  if (status.ok()) return status;
  return Status::Corrupt(path.Render() + ": " + status.message());
}

const msgpack::object* FieldReader::Find(std::string_view key, const Path& path) {
  const msgpack::object* found = nullptr;
  for (std::uint32_t i = 0; i < map_.via.map.size; ++i) {
    const msgpack::object_kv& kv = map_.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR || AsStringView(kv.key) != key) continue;
    if (found != nullptr) {
      status_ = Status::Corrupt(path.Render() + ": field appears twice");
      return nullptr;
    }
    found = &kv.val;
  }
  return found;
}

}  // namespace sieve::proto::internal
