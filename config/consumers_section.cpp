// consumers: — who calls the gateway. API keys are hashed here, once; the plain text is wiped
// and only SHA-256 digests go into the ConsumerTable.
#include <openssl/crypto.h>

#include <algorithm>
#include <set>
#include <utility>

#include "config/access_sections.h"
#include "config/text.h"

namespace gw::config {
namespace {

using middleware::auth::Consumer;
using middleware::auth::Digest;

// A short key can be guessed; 16 characters is the floor for plain keys.
constexpr std::size_t kMinKeyLength = 16;
constexpr std::string_view kHashedPrefix = "sha256:";

bool unique_name(const Context& ctx, const Scalar& s, NameMarks& marks, const char* what) {
    auto [it, inserted] = marks.emplace(s.text, s.mark);
    if (!inserted)
        ctx.errors.add(s.mark, s.path, std::string(what) + " '" + s.text +
                                           "' is already defined at " + it->second.str());
    return inserted;
}

// The digest of one api_keys entry; the error never quotes the key.
std::optional<Digest> key_digest(const Context& ctx, Scalar& key) {
    std::optional<Digest> digest;
    if (key.text.rfind(kHashedPrefix, 0) == 0) {
        digest = middleware::auth::digest_from_hex(
            std::string_view(key.text).substr(kHashedPrefix.size()));
        if (!digest) ctx.errors.add(key.mark, key.path, "expected sha256: and 64 hex digits");
    } else if (key.text.size() < kMinKeyLength) {
        ctx.errors.add(key.mark, key.path, "an API key needs at least " +
                                               std::to_string(kMinKeyLength) + " characters");
    } else {
        digest = middleware::auth::sha256(key.text);
    }
    OPENSSL_cleanse(key.text.data(), key.text.size());
    return digest;
}

// api_keys_file: one key per line (blank lines and '#' comments skipped), for keys mounted
// as a secret file. Each key keeps the position of the api_keys_file value.
std::vector<Scalar> keys_from_file(Scalar file) {
    std::vector<Scalar> keys;
    std::size_t pos = 0;
    while (pos < file.text.size()) {
        std::size_t end = file.text.find('\n', pos);
        if (end == std::string::npos) end = file.text.size();
        std::string line = file.text.substr(pos, end - pos);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty() && line.front() != '#') keys.push_back({line, file.path, file.mark});
        OPENSSL_cleanse(line.data(), line.size());
        pos = end + 1;
    }
    OPENSSL_cleanse(file.text.data(), file.text.size());
    return keys;
}

void add_keys(const Context& ctx, std::vector<Scalar> keys, std::size_t index,
              ConsumerDraft& draft) {
    for (auto& key : keys) {
        auto digest = key_digest(ctx, key);
        if (!digest) continue;
        bool duplicate = false;
        for (std::size_t i = 0; i < draft.keys.size() && !duplicate; ++i) {
            if (!middleware::auth::digest_equal(draft.keys[i].digest, *digest)) continue;
            duplicate = true;
            ctx.errors.add(key.mark, key.path,
                           "the same API key is already given at " + draft.key_marks[i].str() +
                               " (consumer '" + draft.consumers[draft.keys[i].consumer].name +
                               "')");
        }
        if (duplicate) continue;
        draft.keys.push_back({*digest, index});
        draft.key_marks.push_back(key.mark);
    }
}

std::vector<std::string> read_groups(const Context& ctx, const Value& v) {
    std::vector<std::string> groups;
    for (auto& g : read_string_or_list(ctx, v)) {
        if (!is_simple_name(g.text)) {
            ctx.errors.add(g.mark, g.path, "expected a group name (letters, digits, '-', '_', "
                                           "'.'), got '" + g.text + "'");
        } else if (std::find(groups.begin(), groups.end(), g.text) == groups.end()) {
            groups.push_back(std::move(g.text));
        }
    }
    return groups;
}

void parse_consumer(const Context& ctx, const Value& v, ConsumerDraft& draft) {
    MapReader r(ctx, v, {{"name", "api_keys", "groups", "jwt_subject"}, {}});
    if (!r.valid() || !r.require("name")) return;
    auto name = r.scalar("name");
    if (!name) return;
    if (!is_simple_name(name->text)) {
        ctx.errors.add(name->mark, name->path, "expected a consumer name (letters, digits, "
                                               "'-', '_', '.'), got '" + name->text + "'");
        return;
    }
    if (!unique_name(ctx, *name, draft.names, "consumer")) return;
    Consumer c;
    c.name = name->text;
    if (auto g = r.find("groups")) c.groups = read_groups(ctx, *g);
    if (auto s = r.scalar("jwt_subject")) {
        if (s->text.empty())
            ctx.errors.add(s->mark, s->path, "expected a non-empty subject");
        else if (unique_name(ctx, *s, draft.subjects, "jwt_subject"))
            c.jwt_subject = s->text;
    }
    draft.consumers.push_back(std::move(c));
    const std::size_t index = draft.consumers.size() - 1;
    const YAML::Node& node = v.node;
    if (node["api_keys"] && node["api_keys_file"]) {
        ctx.error(node["api_keys_file"], r.child_path("api_keys_file"),
                  "give either 'api_keys' or 'api_keys_file', not both");
    } else if (node["api_keys"]) {
        if (auto keys = r.find("api_keys")) add_keys(ctx, read_string_or_list(ctx, *keys), index,
                                                     draft);
    } else if (auto file = r.scalar("api_keys")) {  // from api_keys_file
        add_keys(ctx, keys_from_file(std::move(*file)), index, draft);
    }
}

}  // namespace

void parse_consumers(const Context& ctx, const Value& v, ConsumerDraft& draft) {
    for (const auto& item : read_list(ctx, v)) parse_consumer(ctx, item, draft);
}

void finish_consumers(ConsumerDraft& draft, AccessTables& access) {
    std::set<std::string> groups;
    for (const auto& c : draft.consumers) {
        access.principals.push_back(c.name);
        groups.insert(c.groups.begin(), c.groups.end());
    }
    access.groups.assign(groups.begin(), groups.end());
    access.consumers = std::make_shared<const middleware::auth::ConsumerTable>(
        std::move(draft.consumers), std::move(draft.keys));
}

}  // namespace gw::config
