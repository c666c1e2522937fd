// What every one-shot `sieve` subcommand does to ask the broker something: connect with the
// client's CURVE keys, send one request, wait at most kBrokerReplyTimeout, and on failure say
// why on stderr and exit with the code for it (client/exit_codes.h).
#pragma once

#include <chrono>

#include <zmq.hpp>

#include "client/commands.h"
#include "client/peer_connection.h"
#include "common/status.h"

namespace sieve {

inline constexpr std::chrono::milliseconds kBrokerReplyTimeout{10'000};

// A connection to client.broker, authenticated with the client's keys when CURVE is on.
Result<PeerConnection> ConnectBroker(zmq::context_t& context, const ClientOptions& client);

// Prints "sieve: MESSAGE" to stderr (to `control` when not null: client/job_control.h);
// returns ExitCodeFor(status).
int FailCommand(const Status& status, JobControl* control = nullptr);

}  // namespace sieve
