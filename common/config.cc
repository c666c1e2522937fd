#include "common/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

namespace sieve {
namespace {

constexpr char kConfigEnv[] = "SIEVE_CONFIG";
constexpr char kMasked[] = "\"<masked>\"";

constexpr char kFooter[] = R"(CONFIGURATION
  Every option can also be set by the environment variable shown as Env:, or by a TOML file
  named by --config FILE or $SIEVE_CONFIG, one `name = value` line per option, keys being the
  long option names (data-dir = "/var/lib/sieve", insecure = true). Flags win over the
  environment, which wins over the file, which wins over the defaults. --print-config prints
  the effective configuration in that format (secret values masked) and exits.

FILES (Debian package)
  /etc/sieve/*.toml, /etc/sieve/*.env   configuration read by the systemd units
  /usr/share/sieve/                     default classifier model, example configurations
  See docs/deploy.md for systemd, Docker Compose and Kubernetes set-ups.)";

// True when the environment holds a non-empty value for `name` (CLI11 ignores empty ones).
bool SetInEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value != nullptr && *value != '\0';
}

// CLI11's TOML reader, minus the top-level keys whose option is set in the environment: CLI11
// reads the file before the environment and never overrides a value, so dropping those keys is
// what makes the environment win over the file.
class EnvOverridesFile : public CLI::ConfigTOML {
 public:
  explicit EnvOverridesFile(const CLI::App& app) : app_(app) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items = CLI::ConfigTOML::from_config(input);
    std::erase_if(items, [this](const CLI::ConfigItem& item) {
      if (!item.parents.empty()) return false;
      const CLI::Option* option = app_.get_option_no_throw("--" + item.name);
      return option != nullptr && !option->get_envname().empty() &&
             SetInEnvironment(option->get_envname());
    });
    return items;
  }

 private:
  const CLI::App& app_;
};

// The TOML value of `option`, or "" when it has none.
std::string TomlValue(const CLI::Option& option) {
  if (option.count() > 0) {
    return CLI::detail::ini_join(option.reduced_results(), ',', '[', ']', '"', '\'');
  }
  if (!option.get_default_str().empty()) {
    return CLI::detail::convert_arg_for_ini(option.get_default_str(), '"', '\'');
  }
  return option.get_expected_min() == 0 ? "false" : "";
}

}  // namespace

std::string ConfigEnvName(std::string_view long_name) {
  while (!long_name.empty() && long_name.front() == '-') long_name.remove_prefix(1);
  std::string env = "SIEVE_";
  for (char c : long_name) {
    env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

bool IsSecretOption(std::string_view long_name) {
  std::string lower(long_name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.ends_with("-file") || lower.ends_with("-path")) return false;  // where, not what
  for (std::string_view word : {"secret", "password", "token", "header"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::optional<int> ParseLayeredConfig(CLI::App& app, int argc, const char* const* argv) {
  // CLI11 reads the file before the environment, so $SIEVE_CONFIG is applied here: as the
  // default file name, and required so that a missing file is an error, not silence.
  const char* env_file = std::getenv(kConfigEnv);
  const bool file_from_env = env_file != nullptr && *env_file != '\0';
  app.set_config("--config", file_from_env ? env_file : "",
                 "TOML file of option values (keys: the long option names)", file_from_env)
      ->envname(kConfigEnv);
  app.config_formatter(std::make_shared<EnvOverridesFile>(app));
  app.allow_config_extras(false);
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as TOML (secrets masked) and exit")
      ->configurable(false);
  for (CLI::Option* option : app.get_options()) {
    if (option->get_configurable() && option->get_envname().empty() &&
        !option->get_lnames().empty()) {
      option->envname(ConfigEnvName(option->get_lnames().front()));
    }
  }
  if (app.get_footer().empty()) app.footer(kFooter);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (print_config) {
    std::cout << EffectiveConfig(app) << std::flush;
    return 0;
  }
  return std::nullopt;
}

std::string EffectiveConfig(const CLI::App& app) {
  // The program name without its directory (CLI11 names the app after argv[0]).
  const std::string& program = app.get_name();
  std::string out =
      "# effective configuration of " + program.substr(program.rfind('/') + 1) + "\n";
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_configurable() || option->get_lnames().empty()) continue;
    const std::string& name = option->get_lnames().front();
    std::string value = TomlValue(*option);
    if (value.empty()) {
      out += "# " + name + " =\n";
      continue;
    }
    if (IsSecretOption(name)) value = kMasked;
    out += name + " = " + value + "\n";
  }
  return out;
}

}  // namespace sieve
