// Size-class free lists per thread. Memory is carved from slabs that are never returned to the
// system: a frame freed on another thread simply joins that thread's free list. Slabs are mapped
// with MAP_POPULATE, one system call instead of a page fault per 4 KiB.
#include "aio/detail/allocator.hpp"

#include <new>

#include "backend/sys.hpp"

namespace aio::detail {
#ifndef AIO_NO_FRAME_POOL
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxPooled = 1024;
constexpr std::size_t kClasses = kMaxPooled / kGranule;
constexpr std::size_t kSlabSize = 64 * 1024;
// Once a thread has this much, its slabs grow to 2 MiB (fewer mappings for a million live
// tasks), while small programs keep their small footprint.
constexpr std::size_t kBigAfter = 32 * 1024 * 1024;
constexpr std::size_t kBigSlabSize = 2 * 1024 * 1024;

struct FreeBlock {
    FreeBlock* next;
};

struct ThreadPools {
    FreeBlock* free[kClasses] = {};
    char* bump = nullptr;
    char* bump_end = nullptr;
    std::size_t carved = 0;

    void* carve(std::size_t bytes) {
        if (static_cast<std::size_t>(bump_end - bump) < bytes) {
            const std::size_t size = carved >= kBigAfter ? kBigSlabSize : kSlabSize;
            void* slab = sys::map_memory(size);
            if (!slab) throw std::bad_alloc();
            carved += size;
            bump = static_cast<char*>(slab);
            bump_end = bump + size;
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
