// Context variables (Python's contextvars): values that follow the flow of a program through its
// tasks. Each task runs in a context of its own, a copy of its creator's taken at create_task,
// so a task's set() is not seen by its parent or its siblings; to_thread carries the caller's
// context to the thread. Outside any task, a thread has a context of its own.
//   aio::ContextVar<std::string> request_id("request_id", "-");
//   request_id.set("r1");  ...  log(request_id.get());
// Programs that use no ContextVar pay one null pointer per task for this.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aio/errors.hpp"

namespace aio {

namespace detail {
// One context's values, never changed once made: set() makes a new one (copy on write), so
// copying a context is copying a pointer.
struct ContextData {
    std::vector<std::pair<std::uint64_t, std::shared_ptr<const void>>> values;  // by var id
    const std::shared_ptr<const void>* find(std::uint64_t var) const noexcept;
};
// A context (Python's Context object): what is current in it now.
struct ContextBox {
    std::shared_ptr<const ContextData> data;
};
// Set by the first set() or copy_context(): until then no task copies a context.
inline std::atomic<bool> contexts_in_use{false};
// A task's context at creation: a copy of the current one (null while it is empty).
std::shared_ptr<ContextBox> inherit_context();
// The context of the running task, or of this thread outside tasks.
ContextBox& current_context_box();
ContextBox* current_context_box_if_any() noexcept;
// Replaces (or with value null, removes) var in the current context.
void context_set(std::uint64_t var, std::shared_ptr<const void> value);
std::uint64_t new_context_var_id() noexcept;
}  // namespace detail

// Python's LookupError: a ContextVar read where it has no value and no default.
class LookupError : public std::out_of_range {
  public:
    using std::out_of_range::out_of_range;
};

// contextvars.Context: copy_context() takes one; create_task(coro, {.context = ctx}) runs a
// task in it, and ctx.run(f) runs f in it; what they set stays in ctx.
class Context {
  public:
    Context() : box_(std::make_shared<detail::ContextBox>()) {}
    explicit Context(std::shared_ptr<detail::ContextBox> box) noexcept : box_(std::move(box)) {}
    // f() with this context current on this thread (outside a task), then the previous one.
    template <class F>
    decltype(auto) run(F&& f) const {
        Entered entered(box_);
        return std::forward<F>(f)();
    }
    const std::shared_ptr<detail::ContextBox>& box() const noexcept { return box_; }

  private:
    struct Entered {
        explicit Entered(std::shared_ptr<detail::ContextBox> box);
        ~Entered();
        std::shared_ptr<detail::ContextBox> previous;
    };
    std::shared_ptr<detail::ContextBox> box_;
};

// contextvars.copy_context(): a copy of the current context.
Context copy_context();

template <class T>
class ContextVar;

// What set() returns, for reset(): the value before, in the context it was set in.
template <class T>
class Token {
  public:
    // Python's Token.MISSING: the variable had no value before.
    bool old_value_missing() const noexcept { return !old_; }
    const T& old_value() const { return *static_cast<const T*>(old_.get()); }

  private:
    friend class ContextVar<T>;
    Token(std::uint64_t var, detail::ContextBox* box, std::shared_ptr<const void> old)
        : var_(var), box_(box), old_(std::move(old)) {}
    std::uint64_t var_;
    detail::ContextBox* box_;  // compared, never followed
    std::shared_ptr<const void> old_;
    std::shared_ptr<bool> used_ = std::make_shared<bool>(false);
};

// contextvars.ContextVar. Declare them where they live long (globals, statics), as in Python.
template <class T>
class ContextVar {
  public:
    explicit ContextVar(std::string name) : name_(std::move(name)) {}
    ContextVar(std::string name, T default_value)
        : name_(std::move(name)), default_(std::move(default_value)) {}
    ContextVar(const ContextVar&) = delete;
    ContextVar& operator=(const ContextVar&) = delete;

    const std::string& name() const noexcept { return name_; }
    // The value in the current context, else the default; LookupError if there is neither.
    T get() const {
        if (const T* v = find()) return *v;
        if (default_) return *default_;
        throw LookupError("<ContextVar name='" + name_ + "'>");
    }
    // The value in the current context, else `fallback`.
    T get(T fallback) const {
        if (const T* v = find()) return *v;
        return fallback;
    }
    // Sets the value in the current context.
    Token<T> set(T value) {
        detail::ContextBox& box = detail::current_context_box();
        std::shared_ptr<const void> old;
        if (box.data)
            if (auto* p = box.data->find(id_)) old = *p;
        detail::context_set(id_, std::make_shared<const T>(std::move(value)));
        return Token<T>(id_, &box, std::move(old));
    }
    // Puts back the value the variable had before `token`'s set(). RuntimeError if the token was
    // used already; std::invalid_argument (Python's ValueError) if it was made by another
    // variable or in another context.
    void reset(const Token<T>& token) {
        if (*token.used_) throw RuntimeError("<Token> has already been used once");
        if (token.var_ != id_)
            throw std::invalid_argument("<Token> was created by a different ContextVar");
        if (token.box_ != &detail::current_context_box())
            throw std::invalid_argument("<Token> was created in a different Context");
        detail::context_set(id_, token.old_);
        *token.used_ = true;
    }

  private:
    const T* find() const noexcept {
        detail::ContextBox* box = detail::current_context_box_if_any();
        if (!box || !box->data) return nullptr;
        auto* p = box->data->find(id_);
        return p ? static_cast<const T*>(p->get()) : nullptr;
    }
    std::string name_;
    std::optional<T> default_;
    std::uint64_t id_ = detail::new_context_var_id();
};

}  // namespace aio
