// The secure-by-default rule for listening sockets: without CURVE keys a daemon binds only to
// loopback (or ipc/inproc); any other address needs the operator's explicit --insecure.
#pragma once

#include <string>

#include "common/status.h"

namespace sieve {

// True for tcp://127.x.x.x:*, tcp://localhost:*, tcp://[::1]:*, ipc:// and inproc://.
bool IsLoopbackEndpoint(const std::string& endpoint);

// OK when `endpoint` may be bound: loopback, or CURVE is on (`encrypted`), or `insecure` is
// set (then it logs a warning).
Status CheckListenPolicy(const std::string& endpoint, bool encrypted, bool insecure);

}  // namespace sieve
