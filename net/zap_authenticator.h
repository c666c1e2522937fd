// ZapAuthenticator: the ZAP handler (ZeroMQ RFC 27) that admits CURVE clients whose public key
// is on an allow-list, and tells the server socket which ROLE each peer has.
//
// DESIGN
// The allow-list is a directory with one subdirectory per role: `clients/`, `workers/`,
// `collectors/`, each holding `*.pub` files (one Z85 public key each, as `sieve keygen`
// writes). A key in none of them is refused (ZAP 400): the peer's handshake fails and it never
// gets a message through. An admitted peer's ZAP User-Id is "ROLE:PUBLICKEY"; the server reads
// it from every message (zmq "User-Id" property) and checks that the role may send that
// command (PeerRole below). The list is read once at start.
//
// Threads: one thread owns the inproc REP socket "inproc://zeromq.zap.01" of the context and
// answers requests until the authenticator is destroyed. Must be started before the server
// socket binds. Counters are atomics.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/status.h"

namespace sieve {

enum class PeerRole { kAny, kClient, kWorker, kCollector };

std::string_view PeerRoleName(PeerRole role);
// The role in a ZAP User-Id ("worker:KEY" -> kWorker). Empty User-Id (CURVE off): kAny.
// Unknown text: nullopt.
std::optional<PeerRole> RoleFromUserId(std::string_view user_id);

class AllowList {
 public:
  // Loads DIR/{clients,workers,collectors}/*.pub. A missing role directory is an empty role;
  // a malformed key file is an error naming it.
  static Result<AllowList> Load(const std::string& dir);
  std::optional<PeerRole> RoleOf(const std::string& z85_public_key) const;
  size_t size() const { return roles_.size(); }

 private:
  std::map<std::string, PeerRole> roles_;
};

class ZapAuthenticator {
 public:
  static Result<std::unique_ptr<ZapAuthenticator>> Start(zmq::context_t& context,
                                                         AllowList allow);
  ~ZapAuthenticator();

  uint64_t admitted() const { return admitted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  ZapAuthenticator(zmq::context_t& context, AllowList allow);
  void Serve();

  zmq::socket_t socket_;
  AllowList allow_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace sieve
