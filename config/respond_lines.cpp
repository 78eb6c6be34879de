#include "config/respond_lines.h"

#include <algorithm>

#include "config/text.h"

namespace gw::config {
namespace {

// Fields in order, each set replacing earlier ones of the same name (case-insensitive).
void set_field(HeaderList& fields, const std::string& name, const std::string& value) {
    std::erase_if(fields, [&](const auto& f) { return iequals(f.first, name); });
    fields.emplace_back(name, value);
}

bool gateway_written(std::string_view name, bool bodiless) {
    return iequals(name, "connection") || iequals(name, "x-request-id") ||
           (!bodiless && (iequals(name, "content-length") || iequals(name, "transfer-encoding")));
}

}  // namespace

std::string render_respond_lines(const Respond& respond, const HeaderOps& rules) {
    HeaderList fields;
    for (const auto& [name, value] : respond.headers) set_field(fields, name, value);
    for (const auto& name : rules.remove)
        std::erase_if(fields, [&](const auto& f) { return iequals(f.first, name); });
    for (const auto& [name, value] : rules.set) set_field(fields, name, value);
    const bool bodiless = bodiless_status(respond.status);
    std::string out;
    for (const auto& [name, value] : fields) {
        if (gateway_written(name, bodiless)) continue;
        out += name + ": " + value + "\r\n";
    }
    if (!bodiless) out += "Content-Length: " + std::to_string(respond.body.size()) + "\r\n";
    return out;
}

}  // namespace gw::config
