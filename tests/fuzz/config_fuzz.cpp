// The YAML configuration loader and validator: any bytes give a Config or error lines (each
// naming the file), never a crash, a hang or an exception. The input is written to a private
// temporary directory as gateway.yaml, because the loader resolves includes and *_file keys
// relative to the file it reads.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "config/config.h"

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();  // an invariant broke: libFuzzer reports it as a crash
}

const std::string& config_path() {
    static const std::string path = [] {
        char dir[] = "/tmp/gw-config-fuzz-XXXXXX";
        check(::mkdtemp(dir) != nullptr);
        static std::string made = dir;
        std::atexit([] {
            std::remove((made + "/gateway.yaml").c_str());
            std::remove(made.c_str());
        });
        return made + "/gateway.yaml";
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    auto result = gw::config::load_config(config_path());
    check((result.config == nullptr) != result.errors.empty());
    for (const auto& line : result.errors) check(!line.empty());
    return 0;
}
