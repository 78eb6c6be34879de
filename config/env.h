// ${VAR} and ${VAR:-default} substitution in scalar values. It runs on each scalar after YAML
// parsing, so a variable whose value holds ':' or '#' cannot change the file's structure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gw::config {

// Returns the value of a variable, or nullopt when unset. Injected so tests need not touch the
// process environment; the loader passes a getenv-based one.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_env();

// Replaces every ${NAME} and ${NAME:-default}. ":-" follows the shell: the default is used when
// the variable is unset or empty. "$$" stands for a literal "$". On failure returns false and sets
// `error` (unset variable without default, unterminated "${", bad variable name).
bool substitute_env(std::string_view in, const EnvLookup& env, std::string& out,
                    std::string& error);

}  // namespace gw::config
