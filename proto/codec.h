// Codec: converts between typed messages (proto/messages.h, proto/client_messages.h) and
// Frames (proto/frames.h). Specification: docs/protocol.md.
//
// DESIGN: decoding happens in two steps. DecodeEnvelope checks the frames (tag, version,
// command name, frame count and sizes) and parses the msgpack header once, under
// msgpack::unpack_limit; DecodeMessage then walks the command's schema over the parsed header.
// Decode does both. Nothing from the peer is trusted: every failure is a Status value, every
// msgpack exception is caught here, and no input makes the decoder allocate more than about
// (header frame size + kMaxDepth x max container size) x sizeof(msgpack::object).
//
// Status codes of a refused message: kVersionMismatch (frame 0 names another protocol
// version), kTooLarge (a frame, string or container past DecodeLimits), kCorrupt (everything
// else: bad tag, unknown command, bad msgpack, header not a map, wrong type, missing field,
// invalid job id, wrong number of bulk frames). Messages name the command and the field path
// ("ASSIGN.spec.headers[2]") and never echo header or bulk bytes.
//
// Thread-safety: all functions are reentrant; values are not shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <msgpack.hpp>
#include <optional>
#include <variant>

#include "common/status.h"
#include "proto/cache_messages.h"
#include "proto/client_messages.h"
#include "proto/constants.h"
#include "proto/frames.h"
#include "proto/messages.h"

namespace sieve::proto {

// Every command; the alternative at index i is the struct of Command(i).
using Message =
    std::variant<Ready, Assign, Heartbeat, Release, DropJob, Disconnect, ChunkResult, ResultAck,
                 CollectorReady, JobOpen, JobSealed, JobCancel, Committed, JobDone, Submit,
                 Submitted, Chunk, ChunkAck, Seal, Sealed, StatusQuery, StatusReply, WorkersQuery,
                 WorkersReply, Cancel, CancelReply, Fetch, FetchReply, Resume, ResumeReply,
                 PermitAsk, PermitGrant, RateLimited, PermitsVoid, LimitsQuery, LimitsReply,
                 CacheLookup, CacheAnswer, CacheFill, CacheAdmin, CacheAdminReply,
                 CanaryReport, ErrorReply>;
static_assert(std::variant_size_v<Message> == kCommandCount);

// The command of `message`.
Command CommandOf(const Message& message);

// What a decoder accepts. Defaults: proto/constants.h.
struct DecodeLimits {
  std::size_t max_frames = kMaxFrames;
  std::size_t max_header_bytes = kMaxHeaderBytes;
  std::size_t max_bulk_bytes = kMaxBulkBytes;  // per bulk frame
  std::size_t max_string_bytes = kMaxStringBytes;
  std::size_t max_array_elements = kMaxArrayElements;
  std::size_t max_map_entries = kMaxMapEntries;
  std::size_t max_depth = kMaxDepth;
};

// A message whose frames are well formed and whose header is a parsed msgpack map, not yet
// checked against its command's schema.
struct Envelope {
  Command command = Command::kError;
  msgpack::object_handle header;  // header.get().type == MAP; owns its zone
  Frames bulk;                    // frames 3.., each within max_bulk_bytes
};

// The frames of `message`: tag, command, header, then the bulk frames (moved, not copied).
// Never fails. REQUIRES: job ids in `message` are valid (proto/job_id.h); otherwise the peer
// refuses the message.
Frames Encode(Message message);

// Checks the frames and parses the header. Takes `frames` by value so that bulk frames move
// into the Envelope without a copy.
Result<Envelope> DecodeEnvelope(Frames frames, const DecodeLimits& limits = {});

// The typed message of `envelope`: checks every field of its command's schema and the number
// of bulk frames. Fails with Status::Corrupt naming the command and field.
Result<Message> DecodeMessage(Envelope envelope);

// The header's "request_id" when it is present and an unsigned integer, else nullopt. For an
// ERROR reply to a request that DecodeMessage refused. Cost: one scan of the header map.
std::optional<std::uint64_t> PeekRequestId(const Envelope& envelope);

// DecodeEnvelope, then DecodeMessage.
Result<Message> Decode(Frames frames, const DecodeLimits& limits = {});

}  // namespace sieve::proto
