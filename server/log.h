// Process log: JSON lines on stderr, filtered by level. Called from any thread (startup,
// reload, admin, rare worker events); a mutex keeps lines whole. Not used per request: the
// access log (access_log.h) is separate.
#pragma once

#include <atomic>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "config/types.h"

namespace gw::log {

using Field = std::pair<std::string_view, std::string_view>;

void set_level(config::LogLevel level);
bool enabled(config::LogLevel level);
void write(config::LogLevel level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
    write(config::LogLevel::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
    write(config::LogLevel::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
    write(config::LogLevel::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
    write(config::LogLevel::error, m, f);
}

// A co_spawn completion handler: logs an exception that escaped the coroutine under `what`
// (every spawned coroutine gets one, so no failure passes silently).
void log_exception(std::string_view what, std::exception_ptr e);
inline auto on_exception(std::string_view what) {
    return [what](std::exception_ptr e) { log_exception(what, e); };
}

// Appends s to out as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view s);
// "2026-11-24T15:33:01.123Z"
void append_utc_now(std::string& out);

}  // namespace gw::log
