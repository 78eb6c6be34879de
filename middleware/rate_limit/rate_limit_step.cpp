#include "middleware/rate_limit/rate_limit_step.h"

#include <array>

#include "middleware/rate_limit/decision_stats.h"
#include "middleware/rate_limit/store.h"

namespace gw::middleware::rate_limit {
namespace {

// Room for the bytes of a client address, so an `ip` key needs no allocation.
struct AddressBytes {
    std::array<unsigned char, 16> bytes{};
    std::size_t size = 0;
};

Key address_key(const boost::asio::ip::address& a, AddressBytes& buf) {
    if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
        buf.bytes = a.to_v6().to_bytes();
        buf.size = 16;
    } else {
        // An IPv4 client counts the same whether it came in over IPv4 or as ::ffff:a.b.c.d.
        auto v4 = a.is_v4() ? a.to_v4().to_bytes()
                            : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                                               a.to_v6()).to_bytes();
        std::copy(v4.begin(), v4.end(), buf.bytes.begin());
        buf.size = 4;
    }
    return {Key::Kind::address,
            {reinterpret_cast<const char*>(buf.bytes.data()), buf.size}};
}

Key key_of(const Limit& limit, const RequestContext& ctx, const RequestHead& req,
           AddressBytes& buf) {
    switch (limit.kind) {
        case KeyKind::route:
            return {Key::Kind::none, {}};
        case KeyKind::consumer:
            if (!ctx.identity.consumer.empty()) return {Key::Kind::text, ctx.identity.consumer};
            break;
        case KeyKind::header: {
            auto it = req.find(limit.header);
            if (it != req.end() && !it->value().empty()) return {Key::Kind::text, it->value()};
            break;
        }
        case KeyKind::ip:
            break;
    }
    return address_key(ctx.client_addr, buf);
}

// True when decision a leaves the caller less room than b: fewer requests left, or as few
// but a longer wait until full.
bool tighter(const Decision& a, const Decision& b) {
    return a.remaining < b.remaining || (a.remaining == b.remaining && a.reset > b.reset);
}

void add_headers(RequestContext& ctx, const Limit& limit, const Decision& d) {
    ctx.response_headers.reserve(ctx.response_headers.size() + 3);  // one allocation, not 3
    ctx.response_headers.emplace_back("ratelimit-limit", std::to_string(limit.rate.burst));
    ctx.response_headers.emplace_back("ratelimit-remaining", std::to_string(d.remaining));
    ctx.response_headers.emplace_back("ratelimit-reset", std::to_string(ceil_seconds(d.reset)));
}

Reply refusal(const Decision& d) {
    // A refused request always has something to wait for; never tell a client "0".
    auto seconds = std::to_string(std::max<std::int64_t>(1, ceil_seconds(d.retry_after)));
    Reply r = Reply::error(429, "rate_limited",
                           "rate limit exceeded; retry after " + seconds + " s");
    r.headers.emplace_back("retry-after", std::move(seconds));
    return r;
}

class RateLimitStep final : public Step {
public:
    explicit RateLimitStep(std::vector<Limit> limits) : limits_(std::move(limits)) {}
    std::string_view name() const override { return "rate_limit"; }
    boost::asio::awaitable<std::optional<Reply>> on_request(RequestContext& ctx,
                                                            RequestHead& req) const override;

private:
    void give_back(const RequestContext& ctx, const RequestHead& req, std::size_t count) const;

    std::vector<Limit> limits_;
};

boost::asio::awaitable<std::optional<Reply>> RateLimitStep::on_request(RequestContext& ctx,
                                                                       RequestHead& req) const {
    const Limit* tightest = nullptr;
    Decision shown;
    for (std::size_t i = 0; i < limits_.size(); ++i) {
        const Limit& limit = limits_[i];
        AddressBytes buf;
        const Key key = key_of(limit, ctx, req, buf);
        auto d = limit.store->try_check(limit, key);
        if (!d) d = co_await limit.store->check(limit, key);
        if (!d->allowed) {
            give_back(ctx, req, i);
            limit.stats->count(false);
            add_headers(ctx, limit, *d);
            co_return refusal(*d);
        }
        if (!tightest || tighter(*d, shown)) {
            tightest = &limit;
            shown = *d;
        }
    }
    for (const auto& limit : limits_) limit.stats->count(true);
    add_headers(ctx, *tightest, shown);
    co_return std::nullopt;
}

void RateLimitStep::give_back(const RequestContext& ctx, const RequestHead& req,
                              std::size_t count) const {
    for (std::size_t i = 0; i < count; ++i) {
        AddressBytes buf;
        limits_[i].store->give_back(limits_[i], key_of(limits_[i], ctx, req, buf));
    }
}

}  // namespace

StepPtr make_rate_limit_step(std::vector<Limit> limits) {
    return std::make_shared<const RateLimitStep>(std::move(limits));
}

}  // namespace gw::middleware::rate_limit
