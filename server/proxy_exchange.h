// The exchange with an upstream: one attempt's request out and response back over one
// connection, streamed in both directions. The attempt loop (retries, targets) is in proxy.cpp;
// the head rewriting in proxy_prepare.cpp. Internal to the proxy; worker thread only.
#pragma once

#include <optional>
#include <type_traits>

#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "middleware/chain.h"
#include "middleware/header_ops.h"
#include "middleware/oauth2_client/token_source.h"
#include "server/buffered_parse.h"
#include "server/deadline_stream.h"
#include "server/forwarding.h"
#include "server/http_writer.h"
#include "server/response_reader.h"
#include "server/retry_policy.h"
#include "server/stream_ops.h"
#include "server/upstream_head.h"
#include "server/worker.h"

namespace gw::server::proxy_detail {

namespace http = boost::beast::http;
using RequestParser = http::request_parser<http::buffer_body>;
inline constexpr std::size_t kBuf = BufferPool::kSize;
inline constexpr std::uint32_t kUpstreamHeaderLimit = 64 * 1024;
// Errors the proxy answers come after a failed exchange, when the request body may be half
// read: the connection always closes after them.
inline constexpr bool kClose = false;

// How an exchange with the upstream ended.
enum class Stage {
    done,            // response relayed completely
    send_failed,     // nothing of the response came back; the request may be retried
    upstream_error,  // 502 if nothing was written downstream yet
    upstream_timeout,// 504 if nothing was written downstream yet
    client_error,    // the client broke off: close, no answer
    bad_body,        // 400: malformed chunked framing
    body_too_large,  // 413
    response_broken, // failed after the response head went downstream: close
    retry_status,    // an answer whose status is retried: dropped, nothing went downstream
    replaced,        // the response observer answers instead (a cached copy)
    token_rejected,  // 401 to an OAuth2 token, not relayed: sent again with a new token
};

struct Exchange {
    Exchange(Stage s = Stage::done, bool reusable = false, bool keep_alive = false,
             bool stale = false, boost::system::error_code ec = {})
        : stage(s), upstream_reusable(reusable), down_keep_alive(keep_alive), reset(stale),
          error(ec) {}
    Stage stage;
    bool upstream_reusable;
    bool down_keep_alive;
    bool reset;  // the failure looks like a stale keep-alive connection
    boost::system::error_code error;  // what went wrong, for the log
};

inline bool stale_connection_error(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

// The request body as it streamed upstream, kept while small so a failed attempt can send it
// again (kMaxRetryBody). Only requests that may be retried keep it.
class KeptBody {
public:
    KeptBody(bool keep, bool has_body, boost::optional<std::uint64_t> length)
        : keep_(keep && (!length || *length <= kMaxRetryBody)), has_body_(has_body) {}
    void add(const char* p, std::size_t n) {
        if (!keep_ || n == 0) return;
        if (data_.size() + n > kMaxRetryBody) {
            keep_ = false;
            std::string().swap(data_);
            return;
        }
        data_.append(p, n);
    }
    // Whether the whole request can be sent again.
    bool replayable(const RequestParser& parser) const {
        return !has_body_ || (keep_ && parser.is_done());
    }
    bool has_body() const { return has_body_; }
    bool replay = false;  // this attempt sends data() instead of reading the client
    const std::string& data() const { return data_; }

private:
    bool keep_;
    bool has_body_;
    std::string data_;
};

inline bool idempotent(http::verb v) {
    return v == http::verb::get || v == http::verb::head || v == http::verb::options ||
           v == http::verb::put || v == http::verb::delete_ || v == http::verb::trace;
}

// Addresses the upstream request to target t: path (with its base path) and Host.
void point_at(UpstreamHead& head, const RequestContext& ctx, const config::Upstream& up,
              const config::Target& t);
// Whether the upstream's head goes to the client as ResponseReader read it (less hop-by-hop
// fields): no header rule, step, response observer or query credential touches it. Otherwise
// it is copied into Beast fields (to_fields) for prepare_response.
bool relayed_as_is(const RequestContext& ctx);
void to_fields(const ResponseReader& r, http::response_header<>& res);
// What is written with a relayed head (head: framing, Connection, request id).
void frame_response(const ResponseReader& r, const RequestContext& ctx, unsigned version,
                    bool& keep_alive, bool head_request, HeadOverrides& head);
// Rewrites the upstream's response head (to_fields), in place, into the one the client gets,
// and decides what is written with it. Returns false when the response observer takes over
// the answer (nothing changed beyond header rules then).
bool prepare_response(http::response_header<>& res, RequestContext& ctx,
                      const ResponseReader& r, unsigned version, bool& keep_alive,
                      bool head_request, HeadOverrides& head);

// The next piece of a message body goes into buf: what has arrived, at most kBuf bytes
// (read_some, so slow streams flow and a timeout measures silence, not throughput). The size
// may be 0 when only chunk framing came. Callers first take what is already buffered, and
// start a read only when that is not enough (no coroutine frame for a small body):
//
//     auto piece = buffered_piece(buffer, parser, buf);
//     if (!piece) piece = co_await read_more(stream, buffer, parser, timeout);
using PieceResult = std::pair<boost::system::error_code, std::size_t>;

template <class Parser>
std::optional<PieceResult> buffered_piece(beast::flat_buffer& buffer, Parser& parser, char* buf) {
    auto& body = parser.get().body();
    body.data = buf;
    body.size = kBuf;
    boost::system::error_code ec;
    if (!parse_buffered(buffer, parser, ec)) return std::nullopt;
    if (ec == http::error::need_buffer) ec = {};
    return PieceResult{ec, kBuf - body.size};
}

// Reads on into the piece buffered_piece began (its body buffer as that left it).
template <class Stream, class Parser>
Task<std::optional<PieceResult>> read_more(Stream& stream, beast::flat_buffer& buffer,
                                           Parser& parser, config::Duration timeout) {
    auto& body = parser.get().body();
    // Beast reads at most the buffer's free capacity (512 bytes when it is small): make room
    // for a whole piece, or a large body crawls through in 512-byte reads. The session gives
    // the room back after the request.
    buffer.reserve(kBuf);
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    co_return PieceResult{ec, kBuf - body.size};
}

// The first of the two for an upstream's response body, read by its ResponseReader (exchange()
// does the reading). A body framed by length or by the close is relayed from the connection's
// buffer as it is (data points there then; the caller consumes the piece once written); a
// chunked one is decoded into buf.
inline std::optional<PieceResult> buffered_piece(beast::flat_buffer& buffer, ResponseReader& r,
                                                 char* buf, const char*& data) {
    if (buffer.size() == 0 || r.is_done()) return std::nullopt;
    if (r.body_in_place()) {
        data = static_cast<const char*>(buffer.data().data());
        return PieceResult{{}, r.take_body(buffer.size())};
    }
    data = buf;
    std::size_t produced = 0;
    boost::system::error_code ec;
    std::size_t used = r.put_body(static_cast<const char*>(buffer.data().data()),
                                  buffer.size(), buf, kBuf, produced, ec);
    buffer.consume(used);
    if (ec) return PieceResult{ec, 0};
    if (used == 0) return std::nullopt;  // a chunk header cut short: read on
    return PieceResult{ec, produced};
}

// Reads the next piece of the request body, mapping failures to what the client is told.
template <class Down>
Task<Stage> read_body_piece(Down& down, beast::flat_buffer& down_buffer, RequestParser& parser,
                            char* buf, std::size_t& size, const config::Limits& limits) {
    auto piece = buffered_piece(down_buffer, parser, buf);
    if (!piece) piece = co_await read_more(down, down_buffer, parser, limits.idle_timeout);
    auto [ec, n] = *piece;
    size = n;
    if (ec == http::error::body_limit) co_return Stage::body_too_large;
    if (ec == beast::error::timeout || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == asio::error::connection_reset)
        co_return Stage::client_error;
    if (ec) co_return Stage::bad_body;
    co_return Stage::done;
}

// The OAuth2 access token a request carries (credentials type oauth2_client_credentials).
struct SentToken {
    middleware::oauth2_client::TokenSource* source = nullptr;  // null: no token
    std::uint64_t id = 0;
    // A 401 to it is not relayed but the request sent again, when the request can be: it
    // has no body, or its body was read whole and kept (KeptBody, up to kMaxRetryBody).
    bool retry = false;
};

// Streams the rest of a request body that is still arriving to the upstream, after the head
// and the first piece (exchange() writes those).
template <class Down, class Up>
Task<Exchange> send_body_rest(Down& down, beast::flat_buffer& down_buffer, RequestParser& parser,
                              Up& up, char* buf, RequestContext& ctx, config::Duration timeout,
                              KeptBody& kept, Framing framing) {
    const auto& limits = ctx.config->server.limits;
    while (!parser.is_done()) {
        std::size_t size = 0;
        Stage st = co_await read_body_piece(down, down_buffer, parser, buf, size, limits);
        if (st != Stage::done) co_return Exchange{st};
        if (size == 0 && !parser.is_done()) continue;  // framing bytes only
        ctx.bytes_in += size;
        kept.add(buf, size);
        Piece piece(framing, {}, buf, size, parser.is_done());
        boost::system::error_code wec;
        std::size_t wn = write_now(up, piece.buffers(), wec);
        if (!wec && wn < asio::buffer_size(piece.buffers()))
            wec = co_await write_rest(up, piece.buffers(), wn, timeout);
        if (wec) co_return Exchange{Stage::upstream_error, false, false, false, wec};
    }
    co_return Exchange{Stage::done};
}

// Parses the upstream's response head from conn.buffer (after conn.response.start), skipping
// interim 1xx answers. nullopt: more bytes are needed (read some, then call again); otherwise
// how the head ended (Stage::done: a final head is in conn.response).
std::optional<Exchange> take_response_head(UpstreamConnection& conn, bool head_request);

// The upstream's final head is in conn.response: decides what follows it. A 401 to the token
// drops the token (so the caller's next request cannot get it again); with token.retry and a
// request that can be sent again, the 401 is not relayed but reported as token_rejected (the
// connection, its body unread, is dropped; a streamed body too large to keep was consumed by
// the first send, so that 401 goes to the caller). A retried status is dropped
// (retry_status), an answer the response observer takes over is `replaced`. Otherwise
// (Stage::done) the head the client gets is in conn.heads and its body's framing in framing.
Exchange answer_head(UpstreamConnection& conn, RequestContext& ctx, const RequestParser& parser,
                     unsigned version, bool keep_alive, bool early, const KeptBody& kept,
                     RetryGate& gate, const SentToken& token, Framing& framing);

// One attempt: request out, response back, over one upstream connection, streamed in both
// directions. One coroutine frame in the usual case: the head goes out with the body or its
// first piece in one write, the response head is read and the body relayed here; only a
// request body still arriving (send_body_rest) or a write the socket does not take at once
// (write_rest) adds one.
template <class Down, class Up>
Task<Exchange> exchange(Down& down, beast::flat_buffer& down_buffer, RequestParser& parser,
                        const UpstreamHead& up_head, Up& up, UpstreamConnection& conn,
                        char* buf, std::size_t preread, RequestContext& ctx,
                        config::Duration timeout, unsigned version, bool keep_alive,
                        KeptBody& kept, RetryGate& gate, const SentToken& token) {
    const bool head_request = parser.get().method() == http::verb::head;
    const auto sent_at = std::chrono::steady_clock::now();
    // The head with the first `preread` body bytes (already in buf: read before the upstream
    // was chosen, so a body that is malformed from the start never reaches it), or with the
    // whole kept body on a retry (framed by Content-Length then).
    conn.heads.clear();
    up_head.append(conn.heads, parser.get());
    const Framing up_framing = up_head.framing();
    const char* body = buf;
    std::size_t body_size = preread;
    if (kept.replay) {
        body = kept.data().data();
        body_size = kept.data().size();
    } else {
        ctx.bytes_in += preread;
        kept.add(buf, preread);
    }
    const bool whole = kept.replay || parser.is_done();
    {
        Piece first(up_framing, conn.heads, body, body_size, whole);
        boost::system::error_code ec;
        std::size_t n = write_now(up, first.buffers(), ec);
        if (!ec && n < asio::buffer_size(first.buffers()))
            ec = co_await write_rest(up, first.buffers(), n, timeout);
        else if (!ec && whole && !conn.reused)
            if constexpr (std::is_same_v<Up, DeadlineStream>)
                up.await_readable();  // a fresh connection, the whole request in one write
        if (ec)
            co_return Exchange{Stage::send_failed, false, false,
                               kept.replay || stale_connection_error(ec), ec};
    }
    Exchange ex;
    if (!whole)
        ex = co_await send_body_rest(down, down_buffer, parser, up, buf, ctx, timeout, kept,
                                     up_framing);
    // An upstream may answer early (401, 413) and stop reading the body: its answer, if one
    // came, is worth more to the client than a 502.
    const bool early = ex.stage == Stage::upstream_error;
    if (ex.stage != Stage::done && !early) co_return ex;

    // The response head, read into conn.response.
    conn.response.start(head_request, kUpstreamHeaderLimit);
    std::optional<Exchange> got = take_response_head(conn, head_request);
    while (!got) {
        beast::get_lowest_layer(up).expires_after(early ? std::chrono::milliseconds(500)
                                                        : timeout);
        auto& in = conn.buffer;
        std::size_t room = std::max<std::size_t>(4096, in.capacity() - in.size());
        auto [ec, n] = co_await up.async_read_some(in.prepare(room), kTuple);
        in.commit(n);
        if (ec == beast::error::timeout)
            got = Exchange{Stage::upstream_timeout, false, false, false, ec};
        else if (ec)  // a close, or stray bytes of an earlier answer: a stale connection
            got = Exchange{Stage::send_failed, false, false, true, ec};
        else
            got = take_response_head(conn, head_request);
    }
    if (early && got->stage != Stage::done) co_return Exchange{Stage::upstream_error};
    ctx.upstream_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count();
    if (got->stage != Stage::done) co_return *got;
    Framing framing = Framing::none;
    ex = answer_head(conn, ctx, parser, version, keep_alive, early, kept, gate, token, framing);
    if (ex.stage != Stage::done) co_return ex;

    // The body. The head leaves with the first piece (one write for a small answer); until
    // then a failure can still become a 502.
    ResponseReader& rp = conn.response;
    auto& up_buffer = conn.buffer;
    auto* observer = ctx.response_observer.get();
    const auto& limits = ctx.config->server.limits;
    for (bool first = true;; first = false) {
        std::size_t size = 0;
        const char* data = buf;
        if (!rp.is_done()) {
            // What has arrived: a read only when nothing usable is buffered (read_some, so
            // slow streams flow and the timeout measures silence).
            std::optional<PieceResult> piece = buffered_piece(up_buffer, rp, buf, data);
            while (!piece) {
                up_buffer.reserve(kBuf);
                beast::get_lowest_layer(up).expires_after(timeout);
                // Its end may be a reset behind the last bytes (an upstream that closed with
                // request bytes unread): see it at once, not at the timeout.
                beast::get_lowest_layer(up).read_eagerly(rp.body_to_close());
                auto [ec, n] = co_await up.async_read_some(
                    up_buffer.prepare(up_buffer.capacity() - up_buffer.size()), kTuple);
                up_buffer.commit(n);
                if (ec == asio::error::eof) rp.put_eof(ec);  // ends a body that runs to the close
                if (ec || rp.is_done())
                    piece = PieceResult{ec, 0};
                else
                    piece = buffered_piece(up_buffer, rp, buf, data);
            }
            if (piece->first)
                co_return Exchange{first ? Stage::upstream_error : Stage::response_broken};
            size = piece->second;
        }
        ctx.bytes_out += size;
        if (observer && size > 0) observer->on_body({data, size});
        // Stored before the caller sees the end: its next request finds the entry.
        if (observer && rp.is_done()) observer->on_end();
        Piece piece(framing, first ? std::string_view(conn.heads) : std::string_view(), data,
                    size, rp.is_done());
        boost::system::error_code wec;
        std::size_t wn = write_now(down, piece.buffers(), wec);
        if (!wec && wn < asio::buffer_size(piece.buffers()))
            wec = co_await write_rest(down, piece.buffers(), wn, limits.idle_timeout);
        // A client error drops the upstream connection (conclude), unconsumed piece and all.
        if (wec) co_return Exchange{Stage::client_error};
        if (data != buf) up_buffer.consume(size);  // relayed from the buffer itself
        if (rp.is_done()) break;
    }
    ex.upstream_reusable = !early && rp.keep_alive() && up_buffer.size() == 0;
    co_return ex;
}

template <class Down>
Task<Exchange> exchange_over(Down& down, beast::flat_buffer& down_buffer, RequestParser& parser,
                             const UpstreamHead& up_head, UpstreamConnection& conn, char* buf,
                             std::size_t preread, RequestContext& ctx, config::Duration timeout,
                             unsigned version, bool keep_alive, KeptBody& kept, RetryGate& gate,
                             const SentToken& token) {
    // Not a coroutine itself: it hands back the exchange's own (lazy) task, one frame fewer.
    if (conn.is_tls())
        return exchange(down, down_buffer, parser, up_head, conn.tls(), conn, buf, preread, ctx,
                        timeout, version, keep_alive, kept, gate, token);
    return exchange(down, down_buffer, parser, up_head, conn.plain(), conn, buf, preread, ctx,
                    timeout, version, keep_alive, kept, gate, token);
}

}  // namespace gw::server::proxy_detail
