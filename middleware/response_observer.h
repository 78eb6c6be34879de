// An extension point of the proxy for steps that must see the upstream's answer (the cache
// stores it). A step installs one in RequestContext::response_observer; the proxy feeds it the
// response head, each body piece as it streams to the client, and the end, and asks it whether
// to answer instead of relaying (a revalidated copy on 304) or instead of a 502/504 (a stale
// copy on failure). One request, one worker thread; owned by the RequestContext.
#pragma once

#include <string_view>

#include <boost/beast/http/message.hpp>

namespace gw::middleware {

struct Reply;  // middleware/step.h

class ResponseObserver {
public:
    virtual ~ResponseObserver() = default;
    // The upstream's final response head after hop-by-hop removal and the route's response
    // header rules, before per-request headers. True: do not relay it, send replacement()
    // (the upstream body is then dropped with its connection).
    virtual bool on_head(const boost::beast::http::response_header<>& head) = 0;
    // A piece of the response body as it goes downstream.
    virtual void on_body(std::string_view piece) = 0;
    // The whole response arrived from the upstream (called before its last piece goes
    // downstream). Not called when the relay broke off.
    virtual void on_end() = 0;
    // No response came (connect failure, reset, timeout) or the exchange failed before one.
    // True: send replacement() instead of the 502/504.
    virtual bool on_failure() = 0;
    // The answer to send after on_head or on_failure returned true.
    virtual const Reply& replacement() const = 0;
};

}  // namespace gw::middleware
