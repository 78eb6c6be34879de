#include "config/suggest.h"

#include <algorithm>
#include <numeric>

namespace gw::config {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Two-row dynamic programme: keys are short, so this is cheap.
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    constexpr std::size_t kMaxDistance = 2;
    const std::string* best = nullptr;
    std::size_t best_distance = kMaxDistance + 1;
    for (const auto& candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        // Very short words are within 2 edits of everything; only suggest a real near-miss.
        if (d >= std::max(word.size(), candidate.size())) continue;
        if (d < best_distance) {
            best_distance = d;
            best = &candidate;
        }
    }
    if (best == nullptr) return "";
    return " (did you mean '" + *best + "'?)";
}

}  // namespace gw::config
