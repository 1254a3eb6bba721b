// Storage for a value that may not have arrived yet, with void handled like any other type.
#pragma once
#include <optional>
#include <utility>

namespace aio::detail {

template <class T>
struct ValueSlot {
    std::optional<T> value;
    template <class U>
    void set(U&& u) {
        value.emplace(std::forward<U>(u));
    }
    T take() { return std::move(*value); }
    const T& get() const { return *value; }
};

template <>
struct ValueSlot<void> {
    void set() noexcept {}
    void take() noexcept {}
    void get() const noexcept {}
};

}  // namespace aio::detail
