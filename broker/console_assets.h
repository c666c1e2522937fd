// The web console's pages, built into the broker (console/* turned into string constants by
// cmake/embed_console.cmake at build time), and the routes that serve them:
//   GET /                      console/index.html
//   GET /console/<file>        console/console.js, console/console.css
// Every answer carries a Content-Security-Policy that allows only this origin's own scripts,
// styles and fetches, and forbids framing (no clickjacking of the action buttons).
//
// Thread-safety: constant data; the routes are thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "common/metrics_server.h"

namespace sieve {

struct ConsoleAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

// Defined in the generated console_assets.cc.
const std::vector<ConsoleAsset>& ConsoleAssets();

std::vector<HttpRoute> ConsoleAssetRoutes();

}  // namespace sieve
