// CURVE keys: generating, storing and loading ZeroMQ CURVE keypairs, and applying them to
// sockets. With keys configured every TCP socket of Sieve is encrypted and authenticated
// (CurveZMQ); the server side checks the client's public key against an allow-list through
// ZAP (net/zap_authenticator.h).
//
// Key files hold one Z85-encoded key (40 characters) on the first line. `NAME.key` (the secret
// key, mode 0600) and `NAME.pub` (the public key) are written by `sieve keygen`. Secrets are
// never logged: Describe() shows only the public half.
//
// Thread-safety: values and functions without shared state.
#pragma once

#include <string>

#include <zmq.hpp>

#include "common/status.h"

namespace sieve {

inline constexpr size_t kZ85KeyLength = 40;

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85; secret
};

// What one process uses: its own keypair and, as a client, the server's public key.
// Empty keys mean CURVE is off (plaintext, loopback-only by default).
struct CurveConfig {
  CurveKeyPair own;
  std::string broker_public_key;  // for processes that connect to the broker

  bool enabled() const { return !own.secret_key.empty(); }
};

Result<CurveKeyPair> GenerateCurveKeyPair();
// The public key of a Z85 secret key. InvalidArgument when it is not a valid key.
Result<std::string> CurvePublicKey(const std::string& secret_key);
bool IsZ85Key(const std::string& key);

// Reads a key file (first line, surrounding whitespace ignored). InvalidArgument when the
// file does not hold a Z85 key, naming the file but never its contents.
Result<std::string> ReadKeyFile(const std::string& path);
// Writes DIR/NAME.key (0600) and DIR/NAME.pub. Refuses to overwrite an existing key.
Status WriteKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& pair);

// Builds a CurveConfig from a secret-key file (or the key itself from env var
// SIEVE_CURVE_SECRET_KEY when the path is empty) and the broker's public-key file (or
// SIEVE_BROKER_PUBLIC_KEY). Both empty and unset: CURVE off.
Result<CurveConfig> LoadCurveConfig(const std::string& secret_key_file,
                                    const std::string& broker_public_key_file);

// Makes `socket` a CURVE server (before bind): it authenticates clients through ZAP domain
// "sieve". No-op when CURVE is off.
void ApplyCurveServer(zmq::socket_t& socket, const CurveConfig& config);
// Makes `socket` a CURVE client of the server with `server_public_key` (before connect).
// No-op when CURVE is off.
void ApplyCurveClient(zmq::socket_t& socket, const CurveConfig& config,
                      const std::string& server_public_key);

}  // namespace sieve
