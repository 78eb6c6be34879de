#include "middleware/rate_limit/rate_limit_step.h"

#include <algorithm>
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
    explicit RateLimitStep(std::vector<Limit> limits) : limits_(std::move(limits)) {
        at_once_ = std::all_of(limits_.begin(), limits_.end(),
                               [](const Limit& l) { return l.store->answers_at_once(); });
    }
    std::string_view name() const override { return "rate_limit"; }
    Task<std::optional<Reply>> on_request(RequestContext& ctx, RequestHead& req) const override;
    bool try_request(RequestContext& ctx, RequestHead& req,
                     std::optional<Reply>& reply) const override;

private:
    // The limits' decisions so far for one request: the one whose headers the answer shows.
    struct Tally {
        const Limit* tightest = nullptr;
        Decision shown;
    };
    // Takes limit i's decision into account; a Reply when it refuses the request.
    std::optional<Reply> take(std::size_t i, const Decision& d, RequestContext& ctx,
                              const RequestHead& req, Tally& tally) const;
    // Every limit allowed the request.
    void allowed(RequestContext& ctx, const Tally& tally) const;
    void give_back(const RequestContext& ctx, const RequestHead& req, std::size_t count) const;

    std::vector<Limit> limits_;
    bool at_once_ = false;  // every store answers try_check
};

std::optional<Reply> RateLimitStep::take(std::size_t i, const Decision& d, RequestContext& ctx,
                                         const RequestHead& req, Tally& tally) const {
    const Limit& limit = limits_[i];
    if (!d.allowed) {
        give_back(ctx, req, i);
        limit.stats->count(false);
        add_headers(ctx, limit, d);
        return refusal(d);
    }
    if (!tally.tightest || tighter(d, tally.shown)) {
        tally.tightest = &limit;
        tally.shown = d;
    }
    return std::nullopt;
}

void RateLimitStep::allowed(RequestContext& ctx, const Tally& tally) const {
    for (const auto& limit : limits_) limit.stats->count(true);
    add_headers(ctx, *tally.tightest, tally.shown);
}

bool RateLimitStep::try_request(RequestContext& ctx, RequestHead& req,
                                std::optional<Reply>& reply) const {
    if (!at_once_) return false;  // a remote store: on_request, which may wait
    Tally tally;
    for (std::size_t i = 0; i < limits_.size(); ++i) {
        AddressBytes buf;
        const auto d = limits_[i].store->try_check(limits_[i], key_of(limits_[i], ctx, req, buf));
        if ((reply = take(i, *d, ctx, req, tally))) return true;  // answers_at_once: d is set
    }
    allowed(ctx, tally);
    return true;
}

Task<std::optional<Reply>> RateLimitStep::on_request(RequestContext& ctx, RequestHead& req) const {
    Tally tally;
    for (std::size_t i = 0; i < limits_.size(); ++i) {
        const Limit& limit = limits_[i];
        AddressBytes buf;
        const Key key = key_of(limit, ctx, req, buf);
        auto d = limit.store->try_check(limit, key);
        if (!d) d = co_await await_erased(limit.store->check(limit, key));
        if (auto reply = take(i, *d, ctx, req, tally)) co_return reply;
    }
    allowed(ctx, tally);
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
