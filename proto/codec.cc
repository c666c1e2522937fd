#include "proto/codec.h"

#include <algorithm>
#include <array>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "proto/schema_codec.h"

namespace sieve::proto {
namespace {

// Checks at compile time that Message's alternative i is the struct of Command(i).
template <std::size_t... I>
constexpr bool AlternativesMatchCommands(std::index_sequence<I...>) {
  return ((std::variant_alternative_t<I, Message>::kCommand == static_cast<Command>(I)) && ...);
}
static_assert(AlternativesMatchCommands(std::make_index_sequence<kCommandCount>()));

std::string TagFrame() {
  std::string tag(kProtocolTag);
  tag.push_back(static_cast<char>(kProtocolVersion));
  return tag;
}

// Frame 0: the tag, then our version.
Status CheckTag(const std::string& frame) {
  if (frame.size() != kTagFrameSize || frame.compare(0, kProtocolTag.size(), kProtocolTag) != 0) {
    return Status::Corrupt("not a Sieve message: frame 0 is not the protocol tag");
  }
  const auto version = static_cast<std::uint8_t>(frame.back());
  if (version != kProtocolVersion) {
    return Status::VersionMismatch("peer speaks Sieve protocol version " + std::to_string(version) +
                                   "; this build speaks version " +
                                   std::to_string(kProtocolVersion));
  }
  return Status::Ok();
}

Result<Command> ParseCommandFrame(const std::string& frame) {
  std::optional<Command> command;
  if (frame.size() <= kMaxCommandBytes) command = ParseCommand(frame);
  if (!command.has_value()) {
    const bool printable = std::all_of(frame.begin(), frame.end(),
                                       [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
    return Status::Corrupt(printable && frame.size() <= kMaxCommandBytes
                               ? "unknown command '" + frame + "'"
                               : "unknown command (" + std::to_string(frame.size()) + " bytes)");
  }
  return *command;
}

// Frame count and sizes, in the order a reader of docs/protocol.md expects them.
Status CheckFrames(const Frames& frames, const DecodeLimits& limits) {
  if (frames.empty()) return Status::Corrupt("empty message");
  SIEVE_RETURN_IF_ERROR(CheckTag(frames[0]));
  if (frames.size() < 3) {
    return Status::Corrupt("message has " + std::to_string(frames.size()) +
                           " frames; want tag, command and header");
  }
  if (frames.size() > limits.max_frames) {
    return Status::TooLarge("message has " + std::to_string(frames.size()) + " frames; limit " +
                            std::to_string(limits.max_frames));
  }
  if (frames[2].size() > limits.max_header_bytes) {
    return Status::TooLarge("header frame has " + std::to_string(frames[2].size()) +
                            " bytes; limit " + std::to_string(limits.max_header_bytes));
  }
  for (std::size_t i = 3; i < frames.size(); ++i) {
    if (frames[i].size() > limits.max_bulk_bytes) {
      return Status::TooLarge("bulk frame " + std::to_string(i) + " has " +
                              std::to_string(frames[i].size()) + " bytes; limit " +
                              std::to_string(limits.max_bulk_bytes));
    }
  }
  return Status::Ok();
}

// Parses the header frame under the limits. Catches every msgpack exception.
Result<msgpack::object_handle> ParseHeader(const std::string& frame, const DecodeLimits& limits,
                                           Command command) {
  const std::string where = "header of " + std::string(CommandName(command));
  const msgpack::unpack_limit limit(limits.max_array_elements, limits.max_map_entries,
                                    limits.max_string_bytes, limits.max_string_bytes,
                                    limits.max_string_bytes, limits.max_depth);
  msgpack::object_handle handle;
  std::size_t offset = 0;
  try {
    handle = msgpack::unpack(frame.data(), frame.size(), offset, nullptr, nullptr, limit);
  } catch (const msgpack::size_overflow& e) {
    return Status::TooLarge(where + ": " + e.what());
  } catch (const msgpack::insufficient_bytes&) {
    return Status::Corrupt(where + ": truncated msgpack");
  } catch (const std::bad_alloc&) {
    return Status::TooLarge(where + ": out of memory while parsing");
  } catch (const std::exception& e) {
    return Status::Corrupt(where + ": invalid msgpack (" + e.what() + ")");
  }
  if (offset != frame.size()) {
    return Status::Corrupt(where + ": " + std::to_string(frame.size() - offset) +
                           " trailing bytes after the msgpack map");
  }
  if (handle.get().type != msgpack::type::MAP) {
    return Status::Corrupt(where + ": not a msgpack map");
  }
  return handle;
}

template <typename M>
Result<Message> DecodeAs(Envelope& envelope) {
  M message;
  internal::BulkCounter bulk_counter;
  M::Schema(message, bulk_counter);
  if (envelope.bulk.size() != bulk_counter.count()) {
    return Status::Corrupt(std::string(CommandName(M::kCommand)) + " carries " +
                           std::to_string(envelope.bulk.size()) + " bulk frames; want " +
                           std::to_string(bulk_counter.count()));
  }
  const internal::Path root{nullptr, CommandName(M::kCommand)};
  SIEVE_RETURN_IF_ERROR(internal::ReadStruct(envelope.header.get(), root, &message));
  internal::BulkTaker bulk_taker(&envelope.bulk);
  M::Schema(message, bulk_taker);
  return Message(std::move(message));
}

using Decoder = Result<Message> (*)(Envelope&);

template <std::size_t... I>
constexpr std::array<Decoder, kCommandCount> MakeDecoders(std::index_sequence<I...>) {
  return {&DecodeAs<std::variant_alternative_t<I, Message>>...};
}

constexpr std::array<Decoder, kCommandCount> kDecoders =
    MakeDecoders(std::make_index_sequence<kCommandCount>());

}  // namespace

Command CommandOf(const Message& message) { return static_cast<Command>(message.index()); }

Frames Encode(Message message) {
  Frames frames;
  std::visit(
      [&frames](auto& m) {
        msgpack::sbuffer header;
        internal::Packer packer(header);
        internal::PackStruct(packer, m);
        frames.push_back(TagFrame());
        frames.emplace_back(CommandName(m.kCommand));
        frames.emplace_back(header.data(), header.size());
        internal::BulkAppender bulk_appender(&frames);
        std::remove_reference_t<decltype(m)>::Schema(m, bulk_appender);
      },
      message);
  return frames;
}

Result<Envelope> DecodeEnvelope(Frames frames, const DecodeLimits& limits) {
  SIEVE_RETURN_IF_ERROR(CheckFrames(frames, limits));
  Result<Command> command = ParseCommandFrame(frames[1]);
  if (!command.ok()) return command.status();
  Result<msgpack::object_handle> header = ParseHeader(frames[2], limits, *command);
  if (!header.ok()) return header.status();
  Envelope envelope;
  envelope.command = *command;
  envelope.header = std::move(header).value();
  frames.erase(frames.begin(), frames.begin() + 3);
  envelope.bulk = std::move(frames);
  return envelope;
}

Result<Message> DecodeMessage(Envelope envelope) {
  try {
    return kDecoders[static_cast<std::size_t>(envelope.command)](envelope);
  } catch (const std::bad_alloc&) {
    return Status::TooLarge(std::string(CommandName(envelope.command)) +
                            ": out of memory while decoding");
  }
}

std::optional<std::uint64_t> PeekRequestId(const Envelope& envelope) {
  const msgpack::object_map& map = envelope.header.get().via.map;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    const msgpack::object& key = map.ptr[i].key;
    if (key.type == msgpack::type::STR &&
        std::string_view(key.via.str.ptr, key.via.str.size) == "request_id" &&
        map.ptr[i].val.type == msgpack::type::POSITIVE_INTEGER) {
      return map.ptr[i].val.via.u64;
    }
  }
  return std::nullopt;
}

Result<Message> Decode(Frames frames, const DecodeLimits& limits) {
  Result<Envelope> envelope = DecodeEnvelope(std::move(frames), limits);
  if (!envelope.ok()) return envelope.status();
  return DecodeMessage(std::move(envelope).value());
}

}  // namespace sieve::proto
