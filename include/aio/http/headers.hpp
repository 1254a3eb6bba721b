// HTTP header fields (aiohttp's CIMultiDict in the role it plays for headers): names compare
// without regard to case, the order fields arrived in and repeated fields are kept.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aio::http {

// ASCII case-insensitive equality, the comparison HTTP field names use.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Headers {
  public:
    using Field = std::pair<std::string, std::string>;

    Headers() = default;
    Headers(std::initializer_list<Field> fields) : fields_(fields) {}

    // Appends a field (a repeat of a name is kept as another field). std::invalid_argument for
    // a name that is empty or has a colon, or a name or value with CR, LF or NUL in it (which
    // would let a value inject fields into a message).
    void add(std::string name, std::string value);
    // Replaces every field of that name with one (checked as add() checks).
    void set(std::string_view name, std::string value);
    // The first field's value of that name; nullopt if there is none.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    // Every value of that name, in order.
    std::vector<std::string_view> get_all(std::string_view name) const;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t count(std::string_view name) const noexcept;
    // Removes every field of that name; how many there were.
    std::size_t remove(std::string_view name) noexcept;

    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }
    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }
    void clear() noexcept { fields_.clear(); }
    void reserve(std::size_t n) { fields_.reserve(n); }

  private:
    friend class HeadersBuilder;
    std::vector<Field> fields_;
};

// For the parser: fields appended in pieces as they arrive (llhttp has checked their bytes).
class HeadersBuilder {
  public:
    static Headers::Field& start(Headers& h) { return h.fields_.emplace_back(); }
    static Headers::Field& last(Headers& h) { return h.fields_.back(); }
};

}  // namespace aio::http
