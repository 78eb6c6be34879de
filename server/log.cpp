#include "server/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace gw::log {
namespace {
std::atomic<int> g_level{static_cast<int>(config::LogLevel::info)};
std::mutex g_mutex;

const char* level_name(config::LogLevel l) {
    switch (l) {
        case config::LogLevel::debug: return "debug";
        case config::LogLevel::info: return "info";
        case config::LogLevel::warn: return "warn";
        case config::LogLevel::error: return "error";
    }
    return "info";
}
}  // namespace

void set_level(config::LogLevel level) { g_level.store(static_cast<int>(level)); }

bool enabled(config::LogLevel level) {
    return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void log_exception(std::string_view what, std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        error(what, {{"error", x.what()}});
    } catch (...) {
        error(what, {{"error", "unknown exception"}});
    }
}

void append_json_escaped(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
}

void append_utc_now(std::string& out) {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto secs = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
    out += buf;
}

void write(config::LogLevel level, std::string_view msg, std::initializer_list<Field> fields) {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(128);
    line += "{\"time\":\"";
    append_utc_now(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":\"";
    append_json_escaped(line, msg);
    line += '"';
    for (const auto& [k, v] : fields) {
        line += ",\"";
        append_json_escaped(line, k);
        line += "\":\"";
        append_json_escaped(line, v);
        line += '"';
    }
    line += "}\n";
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace gw::log
