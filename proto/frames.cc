#include "proto/frames.h"

#include <algorithm>
#include <utility>

#include "proto/constants.h"

namespace sieve::proto {
namespace {

constexpr std::size_t kMaxIdentityBytes = 255;

bool IsPrintableToken(const std::string& s) {
  return !s.empty() && s.size() <= kMaxCommandBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

Result<Routed> PopIdentity(Frames frames) {
  if (frames.empty()) return Status::Corrupt("ROUTER message has no identity frame");
  if (frames[0].empty() || frames[0].size() > kMaxIdentityBytes) {
    return Status::Corrupt("ROUTER identity frame has " + std::to_string(frames[0].size()) +
                           " bytes (want 1..255)");
  }
  Routed routed;
  routed.identity = std::move(frames[0]);
  frames.erase(frames.begin());
  routed.body = std::move(frames);
  return routed;
}

Frames PushIdentity(Routed routed) {
  Frames frames;
  frames.reserve(routed.body.size() + 1);
  frames.push_back(std::move(routed.identity));
  for (std::string& frame : routed.body) frames.push_back(std::move(frame));
  return frames;
}

std::string DescribeFrames(const Frames& frames) {
  std::string out = std::to_string(frames.size()) + " frames [";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i > 0) out += ", ";
    if (i == 1 && IsPrintableToken(frames[i])) {
      out += frames[i];
    } else {
      out += std::to_string(frames[i].size()) + "B";
    }
  }
  return out + "]";
}

}  // namespace sieve::proto
