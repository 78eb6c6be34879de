// Test helpers: a temporary directory that cleans up after itself, files written into it, and a
// freshly generated self-signed certificate, so tests need nothing from the machine.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace gw::config::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // Writes `content` to path()/name (creating sub-folders) and returns the full path.
    std::string write(const std::string& name, const std::string& content) const;
    // Writes name.crt and name.key (EC P-256, self-signed); returns the two paths.
    std::pair<std::string, std::string> write_cert(const std::string& name) const;

private:
    std::string path_;
};

// All error lines joined by newlines, for readable failure output.
std::string joined(const std::vector<std::string>& errors);

// True when some error line contains `text`.
bool has_error(const LoadResult& result, const std::string& text);

// The route with that name, or nullptr.
const RouteSpec* find_route(const Config& config, const std::string& name);

}  // namespace gw::config::test
