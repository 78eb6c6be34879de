#include "middleware/oauth2_client/token_state.h"

#include <algorithm>

namespace gw::middleware::oauth2_client {

TokenState::Decision TokenState::next(Time now) {
    if (token_ && now < token_->refresh_at) return {token_};
    if (token_ && now < token_->expires_at) {
        // Still valid: keep sending it while one refresh runs in the background.
        bool start = !fetching_ && now >= retry_at_;
        fetching_ = fetching_ || start;
        return {token_, start};
    }
    if (fetching_) return {};
    if (now < retry_at_) return {nullptr, false, true};
    fetching_ = true;
    return {nullptr, true};
}

TokenPtr TokenState::succeeded(std::string_view access_token, std::chrono::seconds lifetime,
                               Time now) {
    auto token = std::make_shared<Token>();
    token->id = next_id_++;
    token->header = "Bearer ";
    token->header += access_token;
    token->expires_at = now + lifetime;
    token->refresh_at = token->expires_at - margin(lifetime);
    token_ = token;
    fetching_ = false;
    failures_ = 0;
    retry_at_ = {};
    return token;
}

void TokenState::failed(Time now) {
    fetching_ = false;
    failures_ = std::min(failures_ + 1, 16u);
    auto backoff = std::min<Clock::duration>(kMinBackoff * (1u << (failures_ - 1)), kMaxBackoff);
    retry_at_ = now + backoff;
}

bool TokenState::reject(std::uint64_t id, Time now) {
    if (!token_ || token_->id != id) return true;  // already replaced or dropped
    if (now < reject_until_) return false;
    token_.reset();
    reject_until_ = now + kRejectHoldoff;
    // A 401 is news the backoff did not know about: the next request may fetch at once.
    retry_at_ = {};
    return true;
}

std::chrono::milliseconds TokenState::margin(std::chrono::seconds lifetime) const {
    using std::chrono::milliseconds;
    milliseconds whole = lifetime;
    milliseconds wanted = refresh_before_ ? *refresh_before_
                                          : std::min<milliseconds>(kDefaultRefreshBefore,
                                                                   whole / 10);
    return std::min(wanted, whole / 2);
}

}  // namespace gw::middleware::oauth2_client
