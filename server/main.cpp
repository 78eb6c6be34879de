// gateway -c FILE        run
// gateway --check -c FILE validate and exit 0 (valid) or 1
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "config/config.h"
#include "server/app.h"
#include "server/log.h"

namespace {
int usage() {
    std::fprintf(stderr,
                 "usage: gateway [--check] -c FILE\n"
                 "  -c, --config FILE  the gateway.yaml to load\n"
                 "  --check            validate the configuration and exit 0 or 1\n");
    return 2;
}
}  // namespace

int main(int argc, char** argv) {
    std::string path;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--check") {
            check = true;
        } else if ((a == "-c" || a == "--config") && i + 1 < argc) {
            path = argv[++i];
        } else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else {
            return usage();
        }
    }
    if (path.empty()) return usage();
    std::signal(SIGPIPE, SIG_IGN);

    // Declared before the App and the configs: steps keep their long-lived state in it.
    gw::middleware::Registry registry;
    auto result = gw::config::load_config(path, check ? nullptr : &registry);
    if (!result.errors.empty()) {
        for (const auto& e : result.errors) std::fprintf(stderr, "%s\n", e.c_str());
        std::fprintf(stderr, "%s: %zu error(s)\n", path.c_str(), result.errors.size());
        return 1;
    }
    if (check) {
        std::fprintf(stderr, "%s: ok\n", path.c_str());
        return 0;
    }
    try {
        gw::server::App app(path, result.config, registry);
        return app.run();
    } catch (const std::exception& e) {
        gw::log::error("cannot start", {{"error", e.what()}});
        return 1;
    }
}
