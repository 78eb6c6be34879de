#include "stores/redis/reply.h"

#include <hiredis/hiredis.h>

namespace gw::stores::redis {
namespace {

class Category : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "redis"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::timeout: return "redis command timed out";
        case Errc::unavailable: return "no redis connection";
        case Errc::disconnected: return "redis connection lost";
        case Errc::connect: return "cannot connect to redis";
        case Errc::protocol: return "redis protocol error";
        case Errc::overloaded: return "too many redis commands waiting";
        }
        return "redis error";
    }
};

}  // namespace

const boost::system::error_category& error_category() {
    static const Category category;
    return category;
}

boost::system::error_code make_error_code(Errc e) {
    return {static_cast<int>(e), error_category()};
}

std::string_view reason(const boost::system::error_code& ec) {
    if (!ec) return "reply";
    if (ec.category() != error_category()) return "io";
    switch (static_cast<Errc>(ec.value())) {
    case Errc::timeout: return "timeout";
    case Errc::unavailable: return "unavailable";
    case Errc::disconnected: return "disconnected";
    case Errc::connect: return "connect";
    case Errc::protocol: return "protocol";
    case Errc::overloaded: return "overloaded";
    }
    return "io";
}

RedisReply to_reply(const redisReply& r) {
    RedisReply out;
    switch (r.type) {
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::integer;
        out.integer = r.integer;
        break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        out.type = r.type == REDIS_REPLY_STRING   ? RedisReply::Type::string
                   : r.type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                  : RedisReply::Type::error;
        out.str.assign(r.str, r.len);
        break;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::array;
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) {
            out.elements.push_back(to_reply(*r.element[i]));
        }
        break;
    default:  // REDIS_REPLY_NIL
        break;
    }
    return out;
}

}  // namespace gw::stores::redis
