// The server's name for the per-request state defined with the middleware steps.
#pragma once

#include "middleware/request_context.h"
#include "server/config_store.h"

namespace gw::server {
using middleware::RequestContext;
}  // namespace gw::server
