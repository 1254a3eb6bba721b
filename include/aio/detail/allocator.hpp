// The recycling allocator behind coroutine frames, task states and callback nodes.
// Each thread keeps free lists per 16-byte size class, so steady-state create/destroy cycles
// never reach malloc. (asyncio has no equivalent: CPython's object allocator plays this role.)
#pragma once
#include <cstddef>

namespace aio::detail {

void* pool_allocate(std::size_t size);
void pool_deallocate(void* p, std::size_t size) noexcept;
// The bytes the calling thread's pools have taken from the system (for tests of memory that must
// stay bounded; 0 without the pool).
std::size_t pool_bytes_carved() noexcept;

// Mix-in giving a type the pool's sized operator new/delete.
struct PoolAllocated {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

// The pool as a standard allocator, for std::allocate_shared: a connection's objects come from
// the pool, without malloc's header per block.
template <class T>
struct PoolAllocator {
    using value_type = T;
    PoolAllocator() noexcept = default;
    template <class U>
    PoolAllocator(const PoolAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }
    friend bool operator==(const PoolAllocator&, const PoolAllocator&) noexcept { return true; }
};

}  // namespace aio::detail
