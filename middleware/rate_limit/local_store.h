// `store: local`: the counters of every local limit of every route in one CounterTable,
// shared by all workers of this process. Keys are hashed with a per-process random seed
// (Boost's 64-bit mixing hash) together with the limit's identity, so looking a key up never
// allocates and nobody outside can aim two keys at one counter. Thread-safe (see
// counter_table.h).
#pragma once

#include "middleware/rate_limit/counter_table.h"
#include "middleware/rate_limit/store.h"

namespace gw::middleware::rate_limit {

class LocalStore final : public Store {
public:
    explicit LocalStore(std::size_t max_keys = CounterTable::kDefaultMaxKeys,
                        Clock clock = steady_now);

    std::optional<Decision> try_check(const Limit& limit, const Key& key) override;
    bool answers_at_once() const override { return true; }
    boost::asio::awaitable<Decision> check(const Limit& limit, const Key& key) override;
    void give_back(const Limit& limit, const Key& key) override;

    const CounterTable& table() const { return table_; }

private:
    std::uint64_t hash(const Limit& limit, const Key& key) const;

    const std::uint64_t seed_;
    CounterTable table_;
};

}  // namespace gw::middleware::rate_limit
