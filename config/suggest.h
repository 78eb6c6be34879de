// "did you mean" hints for misspelt keys and names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gw::config {

// Levenshtein distance (insert, delete, substitute), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean 'x'?)" for the closest candidate within distance 2, else "". The leading
// space lets callers append it directly to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gw::config
