// Strings whose memory is reused: a connection's write buffer, a stream's read buffer and the
// std::string a read returns hand their memory around (the echo path: received into a pooled
// string, moved out by read(), moved into the transport by write(std::move), recycled when
// sent), so steady traffic allocates nothing, and an idle connection still holds no buffer.
// One pool per thread (a loop runs on one thread), bounded in count, in each string's size and
// in bytes. Strings of a few hundred KiB are kept too: a 100 KiB message grows its buffer past
// malloc's mmap threshold, and letting each such buffer go cost page faults on every request
// (streams echo on io_uring, 100 KiB x 100 connections: 2-4k requests/s, 11-12k pooled).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace aio::detail {

class StringPool {
  public:
    static StringPool& here() noexcept {
        static thread_local StringPool pool;
        return pool;
    }
    // An empty string, with room if the pool had one.
    std::string take() noexcept {
        std::string s;
        take_into(s);
        return s;
    }
    // Gives s (empty) a pooled string's memory, if the pool has one (s's own is let go).
    void take_into(std::string& s) noexcept {
        take_stale_into(s);
        s.clear();
    }
    // The same, but s keeps the length (and the stale bytes) the string had when it was given:
    // memory that can be read into at once, without first filling it with zeros as resize()
    // would.
    void take_stale_into(std::string& s) noexcept {
        if (free_.empty()) return;
        held_bytes_ -= free_.back().capacity();
        s = std::move(free_.back());
        free_.pop_back();
    }
    // Keeps s's memory for a later take() (or frees it: too small, too large, pool full). s is
    // left empty.
    void give(std::string&& s) noexcept {
        const std::size_t capacity = s.capacity();
        if (capacity <= inline_capacity_) {  // nothing on the heap (the usual empty one): no work
            s.clear();
            return;
        }
        if (capacity < kSmallest || capacity > kLargest || free_.size() == free_.capacity() ||
            held_bytes_ + capacity > kMaxBytes) {
            std::string gone = std::move(s);  // (its memory is freed here)
            s.clear();
            return;
        }
        held_bytes_ += capacity;
        free_.push_back(std::move(s));  // (never reallocates: reserved for kCount)
        s.clear();                      // (a moved-from string is empty; said, not assumed)
    }

  private:
    StringPool() { free_.reserve(kCount); }
    static constexpr std::size_t kSmallest = 256;
    static constexpr std::size_t kLargest = 256 * 1024;
    static constexpr std::size_t kCount = 256;
    static constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;
    std::size_t held_bytes_ = 0;
    const std::size_t inline_capacity_ = std::string().capacity();
    std::vector<std::string> free_;
};

}  // namespace aio::detail
