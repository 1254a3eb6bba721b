#include "aio/context.hpp"

#include "aio/detail/task_base.hpp"

namespace aio::detail {

namespace {
thread_local std::shared_ptr<ContextBox> entered;         // Context::run's, while it runs
thread_local std::shared_ptr<ContextBox> thread_context;  // this thread's, outside tasks
std::atomic<std::uint64_t> last_var_id{0};
}  // namespace

const std::shared_ptr<const void>* ContextData::find(std::uint64_t var) const noexcept {
    for (const auto& [id, value] : values)
        if (id == var) return &value;
    return nullptr;
}

std::uint64_t new_context_var_id() noexcept {
    return last_var_id.fetch_add(1, std::memory_order_relaxed) + 1;
}

ContextBox* current_context_box_if_any() noexcept {
    if (entered) return entered.get();
    if (TaskBase* task = current_task_or_null()) return task->context_box();
    return thread_context.get();
}

ContextBox& current_context_box() {
    contexts_in_use.store(true, std::memory_order_relaxed);
    if (entered) return *entered;
    if (TaskBase* task = current_task_or_null()) return task->make_context_box();
    if (!thread_context) thread_context = std::make_shared<ContextBox>();
    return *thread_context;
}

void context_set(std::uint64_t var, std::shared_ptr<const void> value) {
    ContextBox& box = current_context_box();
    auto next = std::make_shared<ContextData>();
    if (box.data) next->values = box.data->values;
    auto& values = next->values;
    auto it = values.begin();
    while (it != values.end() && it->first != var)
        ++it;
    if (it != values.end()) values.erase(it);
    if (value) values.emplace_back(var, std::move(value));
    box.data = std::move(next);
}

std::shared_ptr<ContextBox> inherit_context() {
    ContextBox* current = current_context_box_if_any();
    if (!current || !current->data) return nullptr;
    return std::make_shared<ContextBox>(ContextBox{current->data});
}

}  // namespace aio::detail

namespace aio {

Context::Entered::Entered(std::shared_ptr<detail::ContextBox> box)
    : previous(std::exchange(detail::entered, std::move(box))) {}

Context::Entered::~Entered() {
    detail::entered = std::move(previous);
}

Context copy_context() {
    detail::contexts_in_use.store(true, std::memory_order_relaxed);
    auto box = std::make_shared<detail::ContextBox>();
    if (detail::ContextBox* current = detail::current_context_box_if_any())
        box->data = current->data;
    return Context(std::move(box));
}

}  // namespace aio
