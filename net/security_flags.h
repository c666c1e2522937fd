// The transport-security flags every Sieve process takes, so all mains spell and check them
// alike (docs/security.md):
//   --curve-key FILE   this process's CURVE secret key (or the key in $SIEVE_CURVE_SECRET_KEY)
//   --broker-key FILE  the broker's CURVE public key (or $SIEVE_BROKER_PUBLIC_KEY); processes
//                      that connect to the broker
//   --allow DIR        allow-list of peer public keys by role; processes that accept peers
//   --insecure         accept binding a non-loopback address without CURVE; idem
//
// Environment variables (SIEVE_CURVE_KEY, ...) come from ParseLayeredConfig (common/config.h).
// Thread-safety: plain values; call from main before starting threads.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "net/curve.h"
#include "net/listen_policy.h"

namespace sieve {

struct SecurityFlags {
  std::string curve_key;   // path of the own secret key file
  std::string broker_key;  // path of the broker's public key file
  std::string allow_dir;
  bool insecure = false;

  // The keys named by the flags (or environment); CURVE off when none is given.
  Result<CurveConfig> Load() const { return LoadCurveConfig(curve_key, broker_key); }

  // Load(), for a process that binds `listen`: also refuses a plaintext non-loopback bind
  // unless --insecure (net/listen_policy.h).
  Result<CurveConfig> LoadForListener(const std::string& listen) const {
    Result<CurveConfig> curve = Load();
    if (!curve.ok()) return curve;
    SIEVE_RETURN_IF_ERROR(CheckListenPolicy(listen, curve->enabled(), insecure));
    return curve;
  }

  // Load(), for a process that connects to the broker: with CURVE on, the broker's public key
  // is required.
  Result<CurveConfig> LoadForBrokerClient() const {
    Result<CurveConfig> curve = Load();
    if (curve.ok() && curve->enabled() && curve->broker_public_key.empty()) {
      return Status::InvalidArgument(
          "with --curve-key, the broker's public key is needed too (--broker-key FILE or "
          "SIEVE_BROKER_PUBLIC_KEY)");
    }
    return curve;
  }
};

// Which flags a process needs: it connects to the broker, and/or it accepts peers.
struct SecurityRoles {
  bool connects_to_broker = false;
  bool accepts_peers = false;
};

inline void AddSecurityFlags(CLI::App& app, SecurityFlags& flags, SecurityRoles roles) {
  app.add_option("--curve-key", flags.curve_key,
                 "CURVE secret key file of this process (sieve keygen); enables encryption");
  if (roles.connects_to_broker) {
    app.add_option("--broker-key", flags.broker_key,
                   "The broker's CURVE public key file (BROKER.pub)");
  }
  if (roles.accepts_peers) {
    app.add_option("--allow", flags.allow_dir,
                   "Allow-list directory of peer public keys: clients/, workers/, collectors/");
    app.add_flag("--insecure", flags.insecure,
                 "Allow binding a non-loopback address without CURVE keys (plaintext!)");
  }
}

}  // namespace sieve
