// Route header rules (`headers.request` / `headers.response`): remove, then set. The rules are
// compiled config (lower-case names); applying them only touches the message's fields.
#pragma once

#include <boost/beast/http/fields.hpp>

#include "config/types.h"

namespace gw::middleware {

void apply_header_ops(const config::HeaderOps& ops, boost::beast::http::fields& fields);

}  // namespace gw::middleware
