// The entry of a string-keyed map found last. Lookups on the request path come in streaks
// of one key (one route, one target), and comparing the key is cheaper than hashing it. The
// remembered key views the map's own key string: map nodes stay put until erased, and the
// owner calls forget() before erasing one. One thread only, like the map it serves.
#pragma once

#include <string_view>

namespace gw::server {

template <class Map>  // a node-based map with transparent (string_view) lookup
class LastLookup {
public:
    using Value = typename Map::mapped_type;

    Value* find(Map& map, std::string_view key) {
        if (value_ && key_ == key) return value_;
        auto it = map.find(key);
        return it == map.end() ? nullptr : remember(it);
    }
    Value* remember(typename Map::iterator it) {
        key_ = it->first;
        value_ = &it->second;
        return value_;
    }
    void forget(const Value* v) {
        if (value_ == v) value_ = nullptr;
    }

private:
    std::string_view key_;
    Value* value_ = nullptr;
};

}  // namespace gw::server
