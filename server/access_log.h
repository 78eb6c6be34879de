// The access log: one JSON line per request to stdout or a file, or nothing ("off").
// Lines are formatted on the worker thread into a worker-owned buffer and written whole with
// one write(2) each, so lines from different workers never interleave and no lock is taken.
#pragma once

#include <string>

#include "server/request_context.h"

namespace gw::server {

class AccessLog {
public:
    // target: "stdout", "off" or a file path (opened for append). Throws on an open failure.
    explicit AccessLog(const std::string& target);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    bool enabled() const { return fd_ >= 0; }
    // method and route come from the request; buffer is the worker's scratch string.
    void write(const RequestContext& ctx, std::string_view method, std::string& buffer) const;

private:
    int fd_ = -1;
    bool owned_ = false;
};

}  // namespace gw::server
