// The consumers table: who may call the gateway, built once per configuration load from the
// top-level `consumers:` section (config/consumers_section.cpp) and then immutable. Shared
// read-only by every worker thread through std::shared_ptr<const ConsumerTable>.
//
// API keys are held only as SHA-256 digests: a plain key from the YAML is hashed at load and
// the text dropped, and `sha256:HEX` keys never had a plain form in the gateway at all.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "middleware/auth/digest.h"

namespace gw::middleware::auth {

struct Consumer {
    std::string name;
    std::vector<std::string> groups;
    std::string jwt_subject;  // "" when none
};

class ConsumerTable {
public:
    struct Key {
        Digest digest;
        std::size_t consumer;  // index into consumers()
    };

    ConsumerTable() = default;
    // Names, subjects and digests are unique (checked by the config loader).
    ConsumerTable(std::vector<Consumer> consumers, std::vector<Key> keys);

    // The owner of a presented API key. Hashes it, then compares against every stored
    // digest with CRYPTO_memcmp and no early exit, so the time taken says nothing about
    // which key (or how much of one) matched. Linear in the number of keys: fine for the
    // hundreds a configuration holds.
    const Consumer* by_key(std::string_view presented) const;
    const Consumer* by_subject(std::string_view subject) const;
    const Consumer* by_name(std::string_view name) const;
    const std::vector<Consumer>& consumers() const { return consumers_; }
    std::size_t key_count() const { return keys_.size(); }

private:
    std::vector<Consumer> consumers_;
    std::vector<Key> keys_;
    // name / jwt_subject -> index; std::less<> finds by string_view without a copy.
    std::map<std::string, std::size_t, std::less<>> by_name_;
    std::map<std::string, std::size_t, std::less<>> by_subject_;
};

}  // namespace gw::middleware::auth
