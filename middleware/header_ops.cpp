#include "middleware/header_ops.h"

namespace gw::middleware {

void apply_header_ops(const config::HeaderOps& ops, boost::beast::http::fields& fields) {
    for (const auto& name : ops.remove) fields.erase(name);
    for (const auto& [name, value] : ops.set) fields.set(name, value);
}

}  // namespace gw::middleware
