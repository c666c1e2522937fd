#include "net/peer_policy.h"

namespace sieve {

using proto::Command;

bool BrokerAccepts(PeerRole role, Command command) {
  switch (command) {
    case Command::kReady:
    case Command::kRelease:
    case Command::kPermitAsk:
    case Command::kRateLimited:
    case Command::kCanary:
      return role == PeerRole::kAny || role == PeerRole::kWorker;
    case Command::kCollectorReady:
    case Command::kCommitted:
    case Command::kJobDone:
      return role == PeerRole::kAny || role == PeerRole::kCollector;
    case Command::kSubmit:
    case Command::kChunk:
    case Command::kSeal:
    case Command::kCancel:
    case Command::kResume:
    case Command::kStatus:
    case Command::kWorkers:
    case Command::kLimits:
      return role == PeerRole::kAny || role == PeerRole::kClient;
    case Command::kHeartbeat:
    case Command::kDisconnect:
    case Command::kError:
      return role == PeerRole::kAny || role == PeerRole::kWorker || role == PeerRole::kCollector;
    default:
      return false;
  }
}

bool CollectorAccepts(PeerRole role, Command command) {
  switch (command) {
    case Command::kResult:
    case Command::kCacheLookup:
    case Command::kCacheFill:
      return role == PeerRole::kAny || role == PeerRole::kWorker;
    case Command::kFetch:
    case Command::kCacheAdmin:
      return role == PeerRole::kAny || role == PeerRole::kClient;
    default: return false;
  }
}

}  // namespace sieve
