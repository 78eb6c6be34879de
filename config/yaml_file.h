// Reading files from disk for the loader: YAML documents, and the small text files behind
// `*_file` keys (secrets mounted into containers).
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/errors.h"

namespace gw::config {

// Parses `ctx.file`. A missing or unreadable file, or a YAML syntax error, is reported to
// ctx.errors (with line:col for syntax errors) and gives nullopt. An empty file is an empty map.
std::optional<YAML::Node> read_yaml_file(const Context& ctx);

// False with `error` set for what is not a regular file (or a symlink to one, as Kubernetes
// mounts secrets): a device or a pipe (/dev/zero, /dev/stdin, a FIFO) would never end or would
// block the loading thread. A missing file passes: opening it gives the precise error.
bool readable_kind(const std::string& path, std::string& error);

// Whole file contents (at most 16 MiB), with trailing "\n" / "\r\n" removed (editors add one; a secret never
// ends with a newline). On failure returns false and sets `error` to strerror(errno).
bool read_text_file(const std::string& path, std::string& out, std::string& error);

}  // namespace gw::config
