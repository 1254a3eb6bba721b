// The loop's timers: a binary min-heap of intrusive nodes ordered by (deadline, sequence), so
// timers due at the same instant fire in the order they were set. Each node knows its heap slot,
// which makes cancellation O(log n) with no scanning and no tombstones.
#pragma once
#include <cstdint>
#include <vector>

#include "aio/detail/runnable.hpp"
#include "aio/time.hpp"

namespace aio::detail {

// 32 bits of sequence and of heap index keep the node small (it lives in every sleeping frame);
// sequences compare modulo 2^32, so only timers set more than 2^31 timers apart and due at the
// very same nanosecond could be misordered.
struct TimerNode : Runnable {
    static constexpr std::uint32_t npos = ~std::uint32_t{0};
    using Runnable::Runnable;
    TimePoint when{};
    std::uint32_t seq = 0;
    std::uint32_t heap_index = npos;
    bool in_heap() const noexcept { return heap_index != npos; }
};

class TimerHeap {
  public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    TimerNode* top() const noexcept { return heap_.front(); }

    void push(TimerNode* n) {
        n->seq = next_seq_++;
        heap_.push_back(n);
        n->heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
        sift_up(n->heap_index);
    }

    TimerNode* pop() noexcept {
        TimerNode* n = heap_.front();
        remove(n);
        return n;
    }

    void remove(TimerNode* n) noexcept {
        std::size_t i = n->heap_index;
        n->heap_index = TimerNode::npos;
        TimerNode* last = heap_.back();
        heap_.pop_back();
        if (last == n) return;
        heap_[i] = last;
        last->heap_index = i;
        sift_down(i);
        sift_up(last->heap_index);
    }

  private:
    static bool before(const TimerNode* a, const TimerNode* b) noexcept {
        return a->when != b->when ? a->when < b->when
                                  : static_cast<std::int32_t>(a->seq - b->seq) < 0;
    }
    void place(std::size_t i, TimerNode* n) noexcept {
        heap_[i] = n;
        n->heap_index = static_cast<std::uint32_t>(i);
    }
    void sift_up(std::size_t i) noexcept {
        TimerNode* n = heap_[i];
        while (i > 0) {
            std::size_t parent = (i - 1) / 2;
            if (!before(n, heap_[parent])) break;
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, n);
    }
    void sift_down(std::size_t i) noexcept {
        TimerNode* n = heap_[i];
        const std::size_t size = heap_.size();
        while (true) {
            std::size_t child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
            if (!before(heap_[child], n)) break;
            place(i, heap_[child]);
            i = child;
        }
        place(i, n);
    }

    std::vector<TimerNode*> heap_;
    std::uint32_t next_seq_ = 0;
};

}  // namespace aio::detail
