// The Sieve wire protocol's constants: tag, version, command names, limits, timings.
//
// DESIGN: like Majordomo's mdp.h, this is the one place that names the protocol's numbers.
// docs/protocol.md is the specification; this header must agree with it. Any change to the
// frame layout, a command's meaning or a field's type bumps kProtocolVersion.
//
// Every message is a ZeroMQ multipart message:
//   frame 0  kProtocolTag followed by one version byte (kProtocolVersion)
//   frame 1  the command name, ASCII (e.g. "READY")
//   frame 2  a msgpack MAP of header fields (unknown keys are ignored)
//   frame 3… raw bulk frames (CSV bytes, never re-encoded)
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sieve::proto {

inline constexpr std::string_view kProtocolTag = "SIEVE";
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kTagFrameSize = 6;  // kProtocolTag + 1 version byte

// The commands. The order is part of the code (it indexes proto::Message), not of the wire:
// on the wire a command is its name.
enum class Command : std::uint8_t {
  // Worker <-> broker
  kReady,       // W->B  capacity announcement
  kAssign,      // B->W  a leased chunk
  kHeartbeat,   // both  liveness + leases held
  kRelease,     // W->B  hand a leased chunk back
  kDropJob,     // B->W  the job was cancelled
  kDisconnect,  // both  orderly goodbye
  // Worker <-> collector
  kResult,     // W->L  a labelled chunk
  kResultAck,  // L->W  the result is durable (or refused)
  // Collector <-> broker
  kCollectorReady,  // L->B
  kJobOpen,         // B->L
  kJobSealed,       // B->L
  kJobCancel,       // B->L
  kCommitted,       // L->B  a chunk is durable
  kJobDone,         // L->B  the output is in place
  // Client <-> broker / collector
  kSubmit,        // C->B
  kSubmitted,     // B->C
  kChunk,         // C->B
  kChunkAck,      // B->C
  kSeal,          // C->B
  kSealed,        // B->C
  kStatus,        // C->B
  kStatusReply,   // B->C
  kWorkers,       // C->B
  kWorkersReply,  // B->C
  kCancel,        // C->B
  kCancelReply,   // B->C
  kFetch,         // C->L
  kFetchReply,    // L->C
  kResume,        // C->B
  kResumeReply,   // B->C
  // Cluster-wide rate limits (docs/limits.md)
  kPermitAsk,     // W->B  permits for a rate-limited job, with token corrections
  kPermitGrant,   // B->W  permits granted (count, tokens, ttl)
  kRateLimited,   // W->B  the endpoint answered 429 (or 503 + Retry-After)
  kPermitsVoid,   // B->W  drop the permits held for a job (its key is paused)
  kLimits,        // C->B
  kLimitsReply,   // B->C
  // Result cache (proto/cache_messages.h)
  kCacheLookup,      // W->L
  kCacheAnswer,      // L->W
  kCacheFill,        // W->L
  kCacheAdmin,       // C->L
  kCacheAdminReply,  // L->C
  kCanary,        // W->B  the verdict of a job's canary (docs/protocol.md)
  // Any direction
  kError,
};

inline constexpr std::array<std::string_view, 43> kCommandNames = {
    "READY",     "ASSIGN",       "HEARTBEAT",       "RELEASE",      "DROP_JOB",   "DISCONNECT",
    "RESULT",    "RESULT_ACK",   "COLLECTOR_READY", "JOB_OPEN",     "JOB_SEALED", "JOB_CANCEL",
    "COMMITTED", "JOB_DONE",     "SUBMIT",          "SUBMITTED",    "CHUNK",      "CHUNK_ACK",
    "SEAL",      "SEALED",       "STATUS",          "STATUS_REPLY", "WORKERS",    "WORKERS_REPLY",
    "CANCEL",    "CANCEL_REPLY", "FETCH",           "FETCH_REPLY",  "RESUME",
    "RESUME_REPLY", "PERMIT_ASK",   "PERMIT_GRANT",    "RATE_LIMITED", "PERMITS_VOID",
    "LIMITS",       "LIMITS_REPLY", "CACHE_LOOKUP",    "CACHE_ANSWER", "CACHE_FILL",
    "CACHE_ADMIN",  "CACHE_ADMIN_REPLY", "CANARY", "ERROR",
};
inline constexpr std::size_t kCommandCount = kCommandNames.size();
static_assert(static_cast<std::size_t>(Command::kError) + 1 == kCommandCount);

inline constexpr std::string_view CommandName(Command command) {
  return kCommandNames[static_cast<std::size_t>(command)];
}

// The command called `name`, or nullopt when there is none. Cost: at most kCommandCount
// string comparisons.
inline constexpr std::optional<Command> ParseCommand(std::string_view name) {
  for (std::size_t i = 0; i < kCommandCount; ++i) {
    if (kCommandNames[i] == name) return static_cast<Command>(i);
  }
  return std::nullopt;
}

// Decoding limits (defaults of proto::DecodeLimits). A frame or container past a limit is
// refused with Status::TooLarge before anything is allocated for it.
inline constexpr std::size_t kMaxFrames = 8;  // tag + command + header + bulk
inline constexpr std::size_t kMaxCommandBytes = 32;
inline constexpr std::size_t kMaxHeaderBytes = 1 << 20;    // 1 MiB msgpack header
inline constexpr std::size_t kMaxBulkBytes = 256u << 20;   // 256 MiB per bulk frame
inline constexpr std::size_t kMaxStringBytes = 64 << 10;   // any msgpack str
inline constexpr std::size_t kMaxArrayElements = 1 << 16;  // any msgpack array
inline constexpr std::size_t kMaxMapEntries = 256;         // any msgpack map
inline constexpr std::size_t kMaxDepth = 8;                // container nesting
// Largest whole multipart message a Sieve socket accepts (ZMQ_MAXMSGSIZE): a bulk frame at
// its limit plus the header and framing, with room to spare. Refused by libzmq unbuffered.
// Failed rows (with their reasons) a COMMITTED carries at most, for the web console.
inline constexpr std::size_t kCommittedFailedRows = 5;
inline constexpr int64_t kMaxMessageBytes = int64_t{300} << 20;

// Reliability (Paranoid Pirate): a peer is dead after kHeartbeatLiveness missed intervals.
inline constexpr std::uint32_t kHeartbeatIntervalMs = 1000;
inline constexpr std::uint32_t kHeartbeatLiveness = 3;
inline constexpr std::uint32_t kDefaultLeaseMs = 60000;
inline constexpr std::uint32_t kReconnectInitialMs = 1000;
inline constexpr std::uint32_t kReconnectMaxMs = 32000;

// Job spec defaults (a field absent from a JOB spec map takes these values).
inline constexpr std::string_view kDefaultLabelField = "label";
inline constexpr std::string_view kDefaultLabelColumn = "label";
inline constexpr std::string_view kDefaultErrorLabel = "error";
inline constexpr std::uint32_t kDefaultTimeoutMs = 15000;
inline constexpr std::uint32_t kDefaultConnectTimeoutMs = 5000;
inline constexpr std::uint32_t kDefaultRetries = 3;
inline constexpr std::uint32_t kDefaultBatchSize = 1;
inline constexpr std::uint32_t kDefaultMaxAttempts = 3;

// The files of a finished job a FETCH may name.
inline constexpr std::string_view kFetchOutput = "output";          // the labelled CSV
inline constexpr std::string_view kFetchSummary = "summary";        // summary JSON
inline constexpr std::string_view kFetchErrors = "errors";          // failed rows report

// Job ids: "j" followed by exactly 16 lowercase hex digits (safe in file names).
inline constexpr std::size_t kJobIdLength = 17;

}  // namespace sieve::proto
