#include "middleware/auth/consumers.h"

namespace gw::middleware::auth {

ConsumerTable::ConsumerTable(std::vector<Consumer> consumers, std::vector<Key> keys)
    : consumers_(std::move(consumers)), keys_(std::move(keys)) {
    for (std::size_t i = 0; i < consumers_.size(); ++i) {
        by_name_.emplace(consumers_[i].name, i);
        if (!consumers_[i].jwt_subject.empty()) by_subject_.emplace(consumers_[i].jwt_subject, i);
    }
}

const Consumer* ConsumerTable::by_key(std::string_view presented) const {
    const Digest digest = sha256(presented);
    std::size_t found = consumers_.size();  // "none"
    for (const auto& key : keys_) {
        // Every key is compared; the selection below is the only data-dependent step.
        const bool equal = digest_equal(digest, key.digest);
        found = equal ? key.consumer : found;
    }
    return found < consumers_.size() ? &consumers_[found] : nullptr;
}

const Consumer* ConsumerTable::by_subject(std::string_view subject) const {
    auto it = by_subject_.find(subject);
    return it == by_subject_.end() ? nullptr : &consumers_[it->second];
}

const Consumer* ConsumerTable::by_name(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &consumers_[it->second];
}

}  // namespace gw::middleware::auth
