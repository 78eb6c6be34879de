#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "server/log.h"

namespace gw::server {

AccessLog::AccessLog(const std::string& target) {
    if (target == "off") return;
    if (target == "stdout") {
        fd_ = STDOUT_FILENO;
        return;
    }
    fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0)
        throw std::runtime_error("cannot open access log '" + target + "': " +
                                 std::strerror(errno));
    owned_ = true;
}

AccessLog::~AccessLog() {
    if (owned_) ::close(fd_);
}

void AccessLog::write(const RequestContext& ctx, std::string_view method,
                      std::string& line) const {
    if (fd_ < 0) return;
    using namespace std::chrono;
    double ms = duration<double, std::milli>(steady_clock::now() - ctx.start).count();
    line.clear();
    line += "{\"time\":\"";
    log::append_utc_now(line);
    line += "\",\"request_id\":\"";
    log::append_json_escaped(line, ctx.request_id);
    line += "\",\"client_ip\":\"";
    line += ctx.client_ip;
    line += "\",\"method\":\"";
    log::append_json_escaped(line, method);
    line += "\",\"path\":\"";
    log::append_json_escaped(line, ctx.path);
    line += "\",\"route\":\"";
    if (ctx.match.route) log::append_json_escaped(line, ctx.match.route->spec.name);
    char num[160];
    std::snprintf(num, sizeof num,
                  "\",\"status\":%u,\"bytes_in\":%llu,\"bytes_out\":%llu,\"duration_ms\":%.3f,"
                  "\"upstream\":\"",
                  ctx.status, static_cast<unsigned long long>(ctx.bytes_in),
                  static_cast<unsigned long long>(ctx.bytes_out), ms);
    line += num;
    log::append_json_escaped(line, ctx.upstream_target);
    line += "\",\"upstream_duration_ms\":";
    if (ctx.upstream_seconds < 0) {
        line += "null";
    } else {
        std::snprintf(num, sizeof num, "%.3f", ctx.upstream_seconds * 1000);
        line += num;
    }
    line += "}\n";
    // O_APPEND / pipe writes of a whole line: one syscall keeps lines whole across workers.
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a broken log must not break serving
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace gw::server
