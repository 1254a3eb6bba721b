#include "aio/http/headers.hpp"

#include <algorithm>
#include <stdexcept>

namespace aio::http {

namespace {
constexpr char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

namespace {
bool has_line_break(std::string_view s) noexcept {
    for (char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return true;
    return false;
}
void check_field(std::string_view name, std::string_view value) {
    if (name.empty() || name.find(':') != std::string_view::npos || has_line_break(name))
        throw std::invalid_argument("invalid header field name: \"" + std::string(name) + "\"");
    if (has_line_break(value))
        throw std::invalid_argument("header field value with CR, LF or NUL: " + std::string(name));
}
}  // namespace

void Headers::add(std::string name, std::string value) {
    check_field(name, value);
    fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string_view name, std::string value) {
    check_field(name, value);
    auto it = std::find_if(fields_.begin(), fields_.end(),
                           [&](const Field& f) { return iequals(f.first, name); });
    if (it == fields_.end()) {
        fields_.emplace_back(std::string(name), std::move(value));
        return;
    }
    it->second = std::move(value);
    fields_.erase(std::remove_if(std::next(it), fields_.end(),
                                 [&](const Field& f) { return iequals(f.first, name); }),
                  fields_.end());
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
    for (const auto& [n, v] : fields_)
        if (iequals(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [n, v] : fields_)
        if (iequals(n, name)) values.emplace_back(v);
    return values;
}

std::size_t Headers::count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        fields_.begin(), fields_.end(), [&](const Field& f) { return iequals(f.first, name); }));
}

std::size_t Headers::remove(std::string_view name) noexcept {
    const auto before = fields_.size();
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                                 [&](const Field& f) { return iequals(f.first, name); }),
                  fields_.end());
    return before - fields_.size();
}

}  // namespace aio::http
