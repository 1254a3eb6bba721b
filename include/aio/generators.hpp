// Generators. Generator<T> is a Python generator: a coroutine that co_yields values, consumed
// lazily by range-for. AsyncGenerator<T> is an async generator: it may also co_await, and is
// consumed with `while (auto v = co_await gen.next())` (Python's `async for`). Both run only when
// asked for the next value, inside the consumer's task, so cancelling the consumer cancels the
// generator where it waits. Stopping early destroys the frame: its locals' destructors run (the
// C++ counterpart of Python's aclose()).
#pragma once
#include <coroutine>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "aio/detail/allocator.hpp"
#include "aio/errors.hpp"
#include "aio/task.hpp"

namespace aio {

template <class T>
class Generator {
    static_assert(!std::is_reference_v<T>,
                  "Generator<T&> is not supported: yield values or pointers");

  public:
    struct promise_type {
        static void* operator new(std::size_t size) { return detail::pool_allocate(size); }
        static void operator delete(void* p, std::size_t size) noexcept {
            detail::pool_deallocate(p, size);
        }
        Generator get_return_object() noexcept {
            return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        std::suspend_always yield_value(T value) {
            current.emplace(std::move(value));
            return {};
        }
        void return_void() noexcept {}
        void unhandled_exception() { error = std::current_exception(); }
        // No co_await inside a synchronous generator (use AsyncGenerator).
        template <class U>
        void await_transform(U&&) = delete;

        std::optional<T> current;
        std::exception_ptr error;
    };

    Generator(Generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Generator& operator=(Generator&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~Generator() {
        if (h_) h_.destroy();
    }

    // The next value, or nullopt when the generator is exhausted (Python's next(g) without the
    // StopIteration). Rethrows what the generator body threw.
    std::optional<T> next() {
        if (!h_ || h_.done()) return std::nullopt;
        auto& p = h_.promise();
        p.current.reset();
        h_.resume();
        if (p.error) std::rethrow_exception(std::exchange(p.error, nullptr));
        if (h_.done()) return std::nullopt;
        return std::move(p.current);
    }

    class iterator {
      public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(Generator* g) : g_(g) { advance(); }
        T& operator*() const { return *value_; }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        bool operator==(std::default_sentinel_t) const noexcept { return !value_; }

      private:
        void advance() {
            value_.reset();
            if (auto v = g_->next()) value_.emplace(std::move(*v));
        }
        Generator* g_ = nullptr;
        mutable std::optional<T> value_;
    };
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

  private:
    explicit Generator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

template <class T>
class AsyncGenerator {
    static_assert(!std::is_reference_v<T>,
                  "AsyncGenerator<T&> is not supported: yield values or pointers");

  public:
    struct promise_type : detail::PromiseBase {
        AsyncGenerator get_return_object() noexcept {
            return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        // co_yield: hand the value to the consumer waiting in next().
        struct YieldAwaiter {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                return detail::transfer_to(h.promise().continuation);
            }
            void await_resume() const noexcept {}
        };
        YieldAwaiter yield_value(T value) {
            current.emplace(std::move(value));
            return {};
        }
        void return_void() noexcept {}
        std::optional<T> current;
    };

    AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~AsyncGenerator() {
        if (h_) h_.destroy();
    }

    struct [[nodiscard]] NextAwaiter {
        std::coroutine_handle<promise_type> h;
        bool await_ready() const {
            if (!h) throw InvalidStateError("next() on an empty (moved-from) AsyncGenerator");
            if (h.promise().continuation)
                throw InvalidStateError("next() while another next() is pending");
            return h.done();
        }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
            h.promise().current.reset();
            h.promise().continuation = consumer;
            return detail::transfer_to(h);
        }
        std::optional<T> await_resume() {
            auto& p = h.promise();
            p.continuation = {};
            if (p.error) std::rethrow_exception(std::exchange(p.error, nullptr));
            if (h.done()) return std::nullopt;
            return std::move(p.current);
        }
    };
    // The next value; nullopt once the generator returns. Rethrows what its body threw.
    NextAwaiter next() noexcept { return NextAwaiter{h_}; }

  private:
    explicit AsyncGenerator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

}  // namespace aio
