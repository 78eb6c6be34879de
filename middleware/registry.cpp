#include "middleware/registry.h"

namespace gw::middleware {

void Registry::start(const boost::asio::any_io_executor& background) {
    background_ = background;
    started_ = true;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& fn : pending) fn(background_);
}

void Registry::on_start(Starter fn) {
    if (started_)
        fn(background_);
    else
        pending_.push_back(std::move(fn));
}

void Registry::add_metrics(const std::string& key, MetricsSource fn) {
    metrics_.try_emplace(key, std::move(fn));
}

void Registry::render_metrics(std::string& out) const {
    for (const auto& [key, fn] : metrics_) fn(out);
}

}  // namespace gw::middleware
