// Internal to config/: the sections that say who may call (consumers:, authenticators:) and
// the per-route keys that use them (auth:, allow:, ip:). Consumers and authenticators come
// from every file first; routes then refer to them by name.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/sections.h"
#include "middleware/auth/authenticator.h"
#include "middleware/auth/consumers.h"

namespace gw::config {

// consumers: from every file, checked across files (names, keys, jwt subjects unique).
struct ConsumerDraft {
    std::vector<middleware::auth::Consumer> consumers;
    std::vector<middleware::auth::ConsumerTable::Key> keys;
    std::vector<SourceMark> key_marks;  // where each key of `keys` was given
    NameMarks names;
    NameMarks subjects;
};
void parse_consumers(const Context& ctx, const Value& v, ConsumerDraft& draft);

// What routes refer to.
struct AccessTables {
    std::shared_ptr<const middleware::auth::ConsumerTable> consumers;
    // name -> authenticator; null when its definition had errors (so routes naming it do not
    // add an "unknown authenticator" on top).
    std::map<std::string, middleware::auth::AuthenticatorPtr> authenticators;
    NameMarks authenticator_marks;
    std::vector<std::string> principals;  // consumer and basic user names, for allow.consumers
    std::vector<std::string> groups;      // every consumer group, for allow.groups
};
// Moves the draft's consumers into access.consumers, principals and groups.
void finish_consumers(ConsumerDraft& draft, AccessTables& access);
void parse_authenticators(const Context& ctx, const Value& v, AccessTables& access);

// auth:, allow: and ip: of one route, compiled into its ip, auth and allow steps (in that
// order, appended to spec.steps). spec.name must be set.
void parse_route_access(const Context& ctx, const MapReader& r, const AccessTables& access,
                        RouteSpec& spec);

}  // namespace gw::config
