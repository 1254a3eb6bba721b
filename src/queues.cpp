#include "aio/queues.hpp"

namespace aio::detail {

void QueueCore::task_done() {
    if (unfinished_ == 0) throw std::invalid_argument("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
}

Task<> QueueCore::join() {
    if (unfinished_ > 0) co_await finished_.wait();
}

void QueueCore::after_put() noexcept {
    ++unfinished_;
    finished_.clear();
    getters_.wake_first(true);
}

void QueueCore::shut_down(std::size_t dropped) noexcept {
    shutdown_ = true;
    unfinished_ -= std::min(dropped, unfinished_);
    if (unfinished_ == 0) finished_.set();
    getters_.wake_all_and_clear();
    putters_.wake_all_and_clear();
}

}  // namespace aio::detail
