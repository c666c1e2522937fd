// Which peer role may send which command to the broker and to the collector. With CURVE on,
// a peer's role comes from the allow-list directory its public key is in (ZAP User-Id); a
// command from the wrong role is refused with ERROR{not_allowed}, counted and logged, so a
// worker key cannot submit or cancel jobs and a client key cannot take chunks. With CURVE off
// every peer is PeerRole::kAny (loopback only, by default) and may send anything.
#pragma once

#include "net/zap_authenticator.h"
#include "proto/constants.h"

namespace sieve {

bool BrokerAccepts(PeerRole role, proto::Command command);
bool CollectorAccepts(PeerRole role, proto::Command command);

}  // namespace sieve
