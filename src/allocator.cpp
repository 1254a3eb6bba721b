// Size-class free lists per thread. Memory is carved from slabs that are never returned to the
// system, in 64 KiB chunks that each begin with the address of the thread pool that carved
// them. A block freed on its own thread joins that thread's free list; a block freed on another
// thread (a callback posted with call_soon_threadsafe, a coroutine made on one thread and
// finished on a loop's) goes back to its owner through a lock-free list, which the owner takes
// whole when its own list runs dry. (Kept where it was freed, it would make the posting thread
// carve new memory forever.) A thread's pools outlive it: blocks it carved may still be alive
// elsewhere, and the next thread to start adopts them.
#include "aio/detail/allocator.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "backend/sys.hpp"

namespace aio::detail {
#ifndef AIO_NO_FRAME_POOL
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxPooled = 1024;
constexpr std::size_t kClasses = kMaxPooled / kGranule;
constexpr std::size_t kChunk = 64 * 1024;  // the unit that names its owner
constexpr std::size_t kHeader = kGranule;  // (the owner's address, padded to keep alignment)
// Once a thread has this much, its slabs grow to 2 MiB (fewer mappings for a million live
// tasks), while small programs keep their small footprint.
constexpr std::size_t kBigAfter = 32 * 1024 * 1024;
constexpr std::size_t kBigSlabSize = 2 * 1024 * 1024;

struct FreeBlock {
    FreeBlock* next;
};

struct ThreadPools {
    FreeBlock* free[kClasses] = {};
    std::atomic<FreeBlock*> returned[kClasses] = {};  // freed by other threads
    char* bump = nullptr;
    char* chunk_end = nullptr;
    char* slab_end = nullptr;
    std::size_t carved = 0;

    void* carve(std::size_t bytes) {
        if (static_cast<std::size_t>(chunk_end - bump) < bytes) {
            if (chunk_end == slab_end) {
                const std::size_t size = carved >= kBigAfter ? kBigSlabSize : kChunk;
                char* slab = static_cast<char*>(sys::map_memory(size, kChunk));
                if (!slab) throw std::bad_alloc();
                carved += size;
                chunk_end = slab;
                slab_end = slab + size;
            }
            bump = chunk_end;
            chunk_end += kChunk;
            *reinterpret_cast<ThreadPools**>(bump) = this;
            bump += kHeader;
        }
        void* p = bump;
        bump += bytes;
        return p;
    }

    // Another thread's free: pushed on the owner's list for that size class.
    void give_back(std::size_t cls, FreeBlock* b) noexcept {
        b->next = returned[cls].load(std::memory_order_relaxed);
        while (!returned[cls].compare_exchange_weak(b->next, b, std::memory_order_release,
                                                    std::memory_order_relaxed)) {
        }
    }
};

// Pools of threads that have ended, for the next thread to adopt.
std::mutex orphans_mutex;
std::vector<ThreadPools*>& orphans() {
    static auto* list = new std::vector<ThreadPools*>();  // (never destroyed: threads outlive main)
    return *list;
}

// (A plain pointer, so that the hot path has no guard to check.)
thread_local ThreadPools* this_thread = nullptr;

// At the thread's end its pools become an orphan; its frees from then on are another thread's.
struct Orphaner {
    ~Orphaner() {
        std::lock_guard lock(orphans_mutex);
        orphans().push_back(std::exchange(this_thread, nullptr));
    }
};

ThreadPools& adopt_pools() {
    thread_local Orphaner orphaner;  // (registered at the first allocation of the thread)
    (void)orphaner;
    {
        std::lock_guard lock(orphans_mutex);
        if (!orphans().empty()) {
            this_thread = orphans().back();
            orphans().pop_back();
        }
    }
    if (!this_thread) this_thread = new ThreadPools();
    return *this_thread;
}

ThreadPools* owner_of(void* p) noexcept {
    return *reinterpret_cast<ThreadPools**>(reinterpret_cast<std::uintptr_t>(p) & ~(kChunk - 1));
}

}  // namespace
#endif

void* pool_allocate(std::size_t size) {
#ifdef AIO_NO_FRAME_POOL
    return ::operator new(size);
#else
    if (size > kMaxPooled || size == 0) return ::operator new(size);
    const std::size_t cls = (size - 1) / kGranule;
    ThreadPools& pools = this_thread ? *this_thread : adopt_pools();
    FreeBlock* b = pools.free[cls];
    if (!b && pools.returned[cls].load(std::memory_order_relaxed))
        b = pools.returned[cls].exchange(nullptr, std::memory_order_acquire);
    if (b) {
        pools.free[cls] = b->next;
        return b;
    }
    return pools.carve((cls + 1) * kGranule);
#endif
}

void pool_deallocate(void* p, std::size_t size) noexcept {
#ifdef AIO_NO_FRAME_POOL
    (void)size;
    ::operator delete(p);
#else
    if (size > kMaxPooled || size == 0) return ::operator delete(p);
    const std::size_t cls = (size - 1) / kGranule;
    auto* b = static_cast<FreeBlock*>(p);
    ThreadPools* owner = owner_of(p);
    if (owner != this_thread) return owner->give_back(cls, b);
    b->next = owner->free[cls];
    owner->free[cls] = b;
#endif
}

std::size_t pool_bytes_carved() noexcept {
#ifdef AIO_NO_FRAME_POOL
    return 0;
#else
    return this_thread ? this_thread->carved : 0;
#endif
}

}  // namespace aio::detail
