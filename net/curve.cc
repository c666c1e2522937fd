#include "net/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/file_util.h"

namespace sieve {
namespace {

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return std::string();
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError("cannot create " + path + " (it may exist already)");
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  return ok ? Status::Ok() : Status::IoError("cannot write " + path);
}

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : Trim(v);
}

}  // namespace

bool IsZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyLength) return false;
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, key.c_str()) != nullptr;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[kZ85KeyLength + 1];
  char sec[kZ85KeyLength + 1];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Internal("libzmq cannot generate CURVE keys (built without libsodium?)");
  }
  return CurveKeyPair{pub, sec};
}

Result<std::string> CurvePublicKey(const std::string& secret_key) {
  if (!IsZ85Key(secret_key)) return Status::InvalidArgument("not a Z85 CURVE secret key");
  char pub[kZ85KeyLength + 1];
  if (zmq_curve_public(pub, secret_key.c_str()) != 0) {
    return Status::InvalidArgument("not a valid CURVE secret key");
  }
  return std::string(pub);
}

Result<std::string> ReadKeyFile(const std::string& path) {
  Result<std::string> text = ReadFileRange(path, 0, 4096);
  if (!text.ok()) return text.status();
  std::string key = Trim(text->substr(0, text->find('\n')));
  if (!IsZ85Key(key)) {
    return Status::InvalidArgument(path + " does not hold a Z85 CURVE key (40 characters, as "
                                          "written by `sieve keygen`)");
  }
  return key;
}

Status WriteKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& pair) {
  SIEVE_RETURN_IF_ERROR(MakeDirs(dir));
  SIEVE_RETURN_IF_ERROR(WriteNew(dir + "/" + name + ".key", pair.secret_key + "\n", 0600));
  return WriteNew(dir + "/" + name + ".pub", pair.public_key + "\n", 0644);
}

Result<CurveConfig> LoadCurveConfig(const std::string& secret_key_file,
                                    const std::string& broker_public_key_file) {
  CurveConfig config;
  std::string secret = EnvOrEmpty("SIEVE_CURVE_SECRET_KEY");
  if (!secret_key_file.empty()) {
    Result<std::string> key = ReadKeyFile(secret_key_file);
    if (!key.ok()) return key.status();
    secret = *key;
  }
  std::string broker = EnvOrEmpty("SIEVE_BROKER_PUBLIC_KEY");
  if (!broker_public_key_file.empty()) {
    Result<std::string> key = ReadKeyFile(broker_public_key_file);
    if (!key.ok()) return key.status();
    broker = *key;
  }
  if (secret.empty()) {
    if (!broker.empty()) {
      return Status::InvalidArgument(
          "a broker public key was given without this process's own secret key "
          "(--curve-key or SIEVE_CURVE_SECRET_KEY)");
    }
    return config;
  }
  Result<std::string> pub = CurvePublicKey(secret);
  if (!pub.ok()) return Status::InvalidArgument("the CURVE secret key is invalid");
  if (!broker.empty() && !IsZ85Key(broker)) {
    return Status::InvalidArgument("the broker public key is not a Z85 CURVE key");
  }
  config.own = CurveKeyPair{*pub, secret};
  config.broker_public_key = broker;
  return config;
}

void ApplyCurveServer(zmq::socket_t& socket, const CurveConfig& config) {
  if (!config.enabled()) return;
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, config.own.secret_key);
  socket.set(zmq::sockopt::zap_domain, "sieve");
}

void ApplyCurveClient(zmq::socket_t& socket, const CurveConfig& config,
                      const std::string& server_public_key) {
  if (!config.enabled()) return;
  socket.set(zmq::sockopt::curve_serverkey, server_public_key);
  socket.set(zmq::sockopt::curve_publickey, config.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, config.own.secret_key);
}

}  // namespace sieve
