// Reads one upstream response with gw::server::ResponseReader and with Beast's response parser,
// for the unit tests and the fuzz target (tests/fuzz/response_reader_fuzz.cpp). The reader
// takes the bytes as they would arrive, in pieces of the sizes given, and decodes the body
// into a small buffer, so every state can be cut short.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http.hpp>

#include "server/response_reader.h"

namespace gw::test {

struct ReadResponse {
    bool ok = false;  // a whole message, no error
    boost::system::error_code ec;
    unsigned status = 0;
    unsigned version = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;
    bool keep_alive = false;
    std::size_t used = 0;  // bytes of the input the message took

    bool operator==(const ReadResponse&) const = default;  // two readings by the reader
};

// pieces: the sizes in which bytes arrive (the last one repeats); room: the body buffer.
inline ReadResponse read_with_reader(server::ResponseReader& r, std::string_view in,
                                     bool head_request, std::vector<std::size_t> pieces,
                                     std::size_t room, std::size_t header_limit = 65536) {
    ReadResponse out;
    r.start(head_request, header_limit);
    std::size_t arrived = 0;
    std::size_t next_piece = 0;
    auto arrive = [&] {
        std::size_t n = pieces.empty() ? in.size() : pieces[std::min(next_piece, pieces.size() - 1)];
        ++next_piece;
        arrived = std::min(in.size(), arrived + std::max<std::size_t>(n, 1));
    };
    arrive();
    std::size_t at = 0;
    for (;;) {  // the head
        std::size_t used = r.put_head(in.data() + at, arrived - at, out.ec);
        if (out.ec) return out;
        if (used > 0) {
            at += used;
            break;
        }
        if (arrived == in.size()) {
            out.ec = boost::beast::http::error::partial_message;
            return out;
        }
        arrive();
    }
    std::string buf(room, '\0');
    while (!r.is_done()) {
        std::size_t produced = 0;
        std::size_t used = r.put_body(in.data() + at, arrived - at, buf.data(), room, produced,
                                      out.ec);
        if (out.ec) return out;
        at += used;
        out.body.append(buf.data(), produced);
        if (r.is_done()) break;
        if (used == 0 && produced == 0) {
            if (arrived == in.size()) {
                r.put_eof(out.ec);
                if (out.ec) return out;
                break;
            }
            arrive();
        }
    }
    out.ok = true;
    out.status = r.status();
    out.version = r.version();
    out.reason = std::string(r.reason());
    for (const auto& f : r.fields()) out.fields.emplace_back(f.name, f.value);
    out.keep_alive = r.keep_alive();
    out.used = at;
    return out;
}

inline ReadResponse read_with_beast(std::string_view in, bool head_request,
                                    std::size_t header_limit = 65536) {
    namespace http = boost::beast::http;
    ReadResponse out;
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.header_limit(static_cast<std::uint32_t>(header_limit));
    p.body_limit(boost::none);
    if (head_request) p.skip(true);
    std::size_t at = 0;
    while (!p.is_done()) {
        std::size_t used = p.put(boost::asio::buffer(in.data() + at, in.size() - at), out.ec);
        at += used;
        if (out.ec == http::error::need_more) {
            out.ec = {};
            break;
        }
        if (out.ec) return out;
        if (used == 0) break;
    }
    if (!p.is_done()) {
        if (at == 0 && !p.got_some()) {
            out.ec = http::error::partial_message;
            return out;
        }
        p.put_eof(out.ec);
        if (out.ec) return out;
    }
    out.ok = true;
    const auto& m = p.get();
    out.status = m.result_int();
    out.version = m.version();
    out.reason = std::string(m.reason());
    // Beast adds trailer fields to the message: the head's come first.
    for (const auto& f : m) out.fields.emplace_back(f.name_string(), f.value());
    out.body = m.body();
    out.keep_alive = p.keep_alive();
    out.used = at;
    return out;
}

// The fields in the order Beast's basic_fields keeps them: a field whose name (in any case) is
// already there goes after the last of that name, any other at the end.
inline std::vector<std::pair<std::string, std::string>> in_beast_order(
    const std::vector<std::pair<std::string, std::string>>& fields) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : fields) {
        auto last = out.end();
        for (auto it = out.begin(); it != out.end(); ++it)
            if (boost::beast::iequals(it->first, f.first)) last = it + 1;
        out.insert(last, f);
    }
    return out;
}

// Whether what the reader accepted is what Beast reads in the same bytes. Beast's reason is
// its own text when the upstream sent none. Beast keeps fields of one name together (the reader
// keeps arrival order, which the relay writes) and adds the trailers to them, so the reader's
// fields in Beast's order must be Beast's fields less the trailers.
inline bool same_reading(const ReadResponse& mine, const ReadResponse& beast) {
    if (!mine.ok) return true;  // the reader may refuse more than Beast does
    if (!beast.ok) return false;
    if (mine.status != beast.status || mine.version != beast.version ||
        mine.body != beast.body || mine.keep_alive != beast.keep_alive ||
        mine.used != beast.used)
        return false;
    if (!mine.reason.empty() && mine.reason != beast.reason) return false;
    // Only a chunked body has trailers; without one the fields must be the same in number.
    bool chunked = false;
    for (const auto& f : mine.fields)
        chunked = chunked || boost::beast::iequals(f.first, "transfer-encoding");
    if (chunked ? mine.fields.size() > beast.fields.size()
                : mine.fields.size() != beast.fields.size())
        return false;
    std::size_t at = 0;  // mine, in Beast's order, must be a subsequence of Beast's fields
    for (const auto& f : in_beast_order(mine.fields)) {
        while (at < beast.fields.size() && beast.fields[at] != f) ++at;
        if (at == beast.fields.size()) return false;
        ++at;
    }
    return true;
}

}  // namespace gw::test
