#include "broker/console_assets.h"

#include <regex>
#include <string>

namespace sieve {

std::vector<HttpRoute> ConsoleAssetRoutes() {
  std::vector<HttpRoute> routes;
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    HttpRoute route;
    // httplib matches the pattern as a regex: escape the path's dots.
    route.pattern = std::regex_replace(std::string(asset.path), std::regex(R"(\.)"), R"(\.)");
    route.handler = [asset](const std::vector<std::string>&) {
      HttpAnswer answer{200, std::string(asset.body), std::string(asset.content_type), {}};
      answer.headers = {
          {"Content-Security-Policy",
           "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
           "img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"Cache-Control", "no-cache"},
      };
      return answer;
    };
    routes.push_back(std::move(route));
  }
  return routes;
}

}  // namespace sieve
