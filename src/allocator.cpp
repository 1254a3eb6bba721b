// Size-class free lists per thread. Memory is carved from 64 KiB slabs that are never returned
// to the system: a frame freed on another thread simply joins that thread's free list.
#include "aio/detail/allocator.hpp"

#include <mutex>
#include <new>
#include <vector>

namespace aio::detail {
#ifndef AIO_NO_FRAME_POOL
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxPooled = 1024;
constexpr std::size_t kClasses = kMaxPooled / kGranule;
constexpr std::size_t kSlabSize = 64 * 1024;

struct FreeBlock {
    FreeBlock* next;
};

// Slabs stay reachable from here for the life of the process (so leak checkers see them).
std::mutex slab_mutex;
std::vector<void*>* slabs = new std::vector<void*>;

struct ThreadPools {
    FreeBlock* free[kClasses] = {};
    char* bump = nullptr;
    char* bump_end = nullptr;

    void* carve(std::size_t bytes) {
        if (static_cast<std::size_t>(bump_end - bump) < bytes) {
            bump = static_cast<char*>(::operator new(kSlabSize));
            bump_end = bump + kSlabSize;
            std::lock_guard lock(slab_mutex);
            slabs->push_back(bump);
        }
        void* p = bump;
        bump += bytes;
        return p;
    }
};

thread_local ThreadPools pools;

}  // namespace
#endif

void* pool_allocate(std::size_t size) {
#ifdef AIO_NO_FRAME_POOL
    return ::operator new(size);
#else
    if (size > kMaxPooled || size == 0) return ::operator new(size);
    std::size_t cls = (size - 1) / kGranule;
    if (FreeBlock* b = pools.free[cls]) {
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
    std::size_t cls = (size - 1) / kGranule;
    auto* b = static_cast<FreeBlock*>(p);
    b->next = pools.free[cls];
    pools.free[cls] = b;
#endif
}

}  // namespace aio::detail
