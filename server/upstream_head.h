// The request head an upstream gets, written straight from the client's fields plus the
// gateway's own headers, instead of editing the client's Beast fields in place. Each edit of
// Beast fields allocates a node and walks a case-insensitive tree; the profile showed the
// rewrite of every proxied request (forwarded headers, request id, traceparent, Host, target)
// as the largest cost of the gateway's own code. Worker thread only; one per request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "config/types.h"
#include "server/forwarding.h"
#include "server/http_writer.h"

namespace gw::server {

// What the gateway knows about the downstream hop.
struct HopInfo {
    std::string_view peer_ip;
    bool peer_trusted = false;
    bool tls = false;
    std::string_view request_id;
};

class UpstreamHead {
public:
    UpstreamHead() = default;
    // Views into members: neither copied nor moved.
    UpstreamHead(const UpstreamHead&) = delete;
    UpstreamHead& operator=(const UpstreamHead&) = delete;

    // Strips the hop-by-hop headers and Expect from the client's fields, decides the
    // forwarded headers (X-Forwarded-For/-Proto/-Host; Forwarded and X-Real-IP only from a
    // trusted peer), the request id and traceparent, then applies the route's header rules and
    // the upstream's header credential (last: no rule overrides it). Body framing: chunked, a
    // length, or none.
    void prepare(http::fields& fields, const HopInfo& hop, const config::HeaderOps& rules,
                 const config::Credentials& credentials, bool chunked,
                 std::optional<std::uint64_t> length);
    // Addresses the request: origin-form target and the target's Host (unless a rule set Host).
    void point_at(std::string target, std::string_view host_header);
    // The body goes again, whole and in one piece: Content-Length framing.
    void replay(std::uint64_t length);

    Framing framing() const;
    // "METHOD target HTTP/1.1", Host, the client's remaining fields, the gateway's, framing.
    void append(std::string& out, const http::request_header<>& req) const;

private:
    // Headers the gateway decides. pass: the client's lines go as they are; replace: they are
    // dropped and value sent instead; drop: they are dropped.
    enum Name : std::uint8_t {
        kHost, kForwardedFor, kForwardedProto, kForwardedHost, kForwarded, kRealIp,
        kRequestId, kTraceparent, kCount
    };
    enum class Mode : std::uint8_t { pass, replace, drop };
    struct Entry {
        Mode mode = Mode::pass;
        std::string_view value;
    };
    static std::optional<Name> name_of(const http::fields::value_type& f);
    static std::optional<Name> name_of(std::string_view lower_name);
    void decide_forwarded(const http::fields& fields, const HopInfo& hop);
    void set(Name n, std::string_view value) { entries_[n] = {Mode::replace, value}; }
    void apply_rules(http::fields& fields, const config::HeaderOps& rules);

    std::array<Entry, kCount> entries_{};
    std::string target_;
    std::string original_host_;
    std::string forwarded_for_;
    char traceparent_[kTraceparentSize];
    bool host_by_rule_ = false;
    bool chunked_ = false;
    std::optional<std::uint64_t> length_;
};

}  // namespace gw::server
