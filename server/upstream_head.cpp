#include "server/upstream_head.h"

#include <boost/beast/http/field.hpp>

#include "config/text.h"
#include "server/head_lines.h"

namespace gw::server {
namespace {

constexpr std::array<std::string_view, 8> kNames = {
    "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
    "forwarded", "x-real-ip", "x-request-id", "traceparent"};

}  // namespace

std::optional<UpstreamHead::Name> UpstreamHead::name_of(std::string_view name) {
    // The names the gateway decides differ in length: one comparison settles it.
    Name n;
    switch (name.size()) {
        case 4: n = kHost; break;
        case 15: n = kForwardedFor; break;
        case 17: n = kForwardedProto; break;
        case 16: n = kForwardedHost; break;
        case 9: n = name[0] == 'f' || name[0] == 'F' ? kForwarded : kRealIp; break;
        case 12: n = kRequestId; break;
        case 11: n = kTraceparent; break;
        default: return std::nullopt;
    }
    if (!config::iequals(name, kNames[n])) return std::nullopt;
    return n;
}

std::optional<UpstreamHead::Name> UpstreamHead::name_of(const http::fields::value_type& f) {
    switch (f.name()) {
        case http::field::host: return kHost;
        case http::field::forwarded: return kForwarded;
        case http::field::unknown: return name_of(f.name_string());
        default: return std::nullopt;
    }
}

void UpstreamHead::decide_forwarded(const http::fields& fields, const HopInfo& hop) {
    bool has_proto = false;
    bool has_host = false;
    std::string_view sent_trace;
    forwarded_for_.clear();
    for (const auto& f : fields) {
        auto n = name_of(f);
        if (!n) continue;
        if (*n == kForwardedFor && hop.peer_trusted) {
            // Every line counts: a proxy may add its own line instead of appending.
            if (!forwarded_for_.empty()) forwarded_for_.append(", ", 2);
            forwarded_for_.append(f.value());
        } else if (*n == kForwardedProto) {
            has_proto = true;
        } else if (*n == kForwardedHost) {
            has_host = true;
        } else if (*n == kTraceparent && sent_trace.empty()) {
            sent_trace = f.value();
        }
    }
    if (forwarded_for_.empty()) {
        set(kForwardedFor, hop.peer_ip);
    } else {
        forwarded_for_.append(", ", 2);
        forwarded_for_.append(hop.peer_ip);
        set(kForwardedFor, forwarded_for_);
    }
    // A client's own claims are kept only from a trusted peer; other spellings of the same
    // claim are not believed from an untrusted one either.
    if (!hop.peer_trusted) {
        entries_[kForwarded] = {Mode::drop, {}};
        entries_[kRealIp] = {Mode::drop, {}};
    }
    if (!hop.peer_trusted || !has_proto) set(kForwardedProto, hop.tls ? "https" : "http");
    if (!hop.peer_trusted || !has_host) {
        if (original_host_.empty())
            entries_[kForwardedHost] = {Mode::drop, {}};
        else
            set(kForwardedHost, original_host_);
    }
    set(kTraceparent, next_traceparent(sent_trace, traceparent_));
}

void UpstreamHead::apply_rules(http::fields& fields, const config::HeaderOps& rules) {
    for (const auto& name : rules.remove) {
        if (auto n = name_of(name)) {
            entries_[*n] = {Mode::drop, {}};
            host_by_rule_ |= *n == kHost;
        } else {
            fields.erase(name);
        }
    }
    for (const auto& [name, value] : rules.set) {
        if (auto n = name_of(name)) {
            set(*n, value);
            host_by_rule_ |= *n == kHost;
        } else {
            fields.set(name, value);
        }
    }
}

void UpstreamHead::prepare(http::fields& fields, const HopInfo& hop,
                           const config::HeaderOps& rules, const config::Credentials& credentials,
                           bool chunked, std::optional<std::uint64_t> length) {
    entries_ = {};
    host_by_rule_ = false;
    // Copied before the strip: a Connection field may name Host. A walk over the few fields
    // costs less than a lookup in their case-insensitive tree.
    original_host_.clear();
    for (const auto& f : fields) {
        if (f.name() != http::field::host) continue;
        original_host_ = f.value();
        break;
    }
    strip_hop_by_hop(fields);
    fields.erase(http::field::expect);  // the gateway answered 100-continue itself
    decide_forwarded(fields, hop);
    set(kRequestId, hop.request_id);
    apply_rules(fields, rules);
    // Last, so no route rule can override it.
    auto gateway_name = credentials.type == config::Credentials::Type::header
                            ? name_of(credentials.name)
                            : std::nullopt;
    if (gateway_name) {
        set(*gateway_name, credentials.value);
        host_by_rule_ |= *gateway_name == kHost;
    } else {
        apply_credentials(credentials, fields);
    }
    chunked_ = chunked;
    length_ = chunked ? std::nullopt : length;
}

void UpstreamHead::point_at(std::string target, std::string_view host_header) {
    target_ = std::move(target);
    if (!host_by_rule_) set(kHost, host_header);
}

void UpstreamHead::replay(std::uint64_t length) {
    chunked_ = false;
    length_ = length;
}

Framing UpstreamHead::framing() const {
    if (chunked_) return Framing::chunked;
    return length_ ? Framing::length : Framing::none;
}

void UpstreamHead::append(std::string& out, const http::request_header<>& req) const {
    const Decimal length(length_.value_or(0));
    append_lines(out, [&](auto& sink) {
        sink.put(req.method_string());
        sink.put(" ");
        sink.put(target_);
        sink.put(" HTTP/1.1\r\n");
        if (entries_[kHost].mode == Mode::replace) sink.line("Host", entries_[kHost].value);
        for (const auto& f : req) {
            auto name = f.name();
            if (name == http::field::content_length || name == http::field::transfer_encoding)
                continue;  // framing is the gateway's
            if (auto n = name_of(f); n && entries_[*n].mode != Mode::pass) continue;
            sink.line(f.name_string(), f.value());
        }
        for (std::size_t n = kForwardedFor; n < kCount; ++n)
            if (entries_[n].mode == Mode::replace) sink.line(kNames[n], entries_[n].value);
        if (chunked_)
            sink.put("Transfer-Encoding: chunked\r\n");
        else if (length_)
            sink.line("Content-Length", length.view());
        sink.put("\r\n");
    });
}

}  // namespace gw::server
