// What the admin endpoints show about upstream targets: health and circuit state of every
// target of the current snapshot, read from the shared TargetState (relaxed loads: a view for
// people and scrapers, not a decision). Control thread.
#pragma once

#include <string>

#include "config/config.h"

namespace gw::server {

// gateway_target_healthy{upstream,target} (1/0) and gateway_circuit_state{upstream,target}
// (0 closed, 1 open, 2 half_open), in Prometheus text.
void append_target_metrics(std::string& out, const config::Config& config);

// {"upstreams":{"crm":[{"target":"http://..","healthy":true,"circuit":"closed"}]}}: the
// member /readyz adds to its status.
std::string targets_json(const config::Config& config);

}  // namespace gw::server
