// Query-string parameters for credentials carried in the URL (api_key with `query:`). The
// query is the raw text after '?', as the client sent it (RequestContext::query).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gw::middleware::auth {

struct QueryParam {
    std::size_t count = 0;    // how many times the parameter appears
    std::string_view raw;     // the first value, still percent-encoded
};

// Finds `name` (compared after decoding %XX in the parameter's name).
QueryParam find_query_param(std::string_view query, std::string_view name);
// Removes every occurrence of `name`, keeping the other parameters in order.
void remove_query_param(std::string& query, std::string_view name);

}  // namespace gw::middleware::auth
