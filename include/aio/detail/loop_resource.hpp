// Something a loop must shut down when it closes (open transports): asyncio leaves them to the
// garbage collector; in C++ they would leak or touch a dead loop. Close runs in two passes:
// every resource closes its fds first, the backend then collects what the kernel still owed
// them, and only then are they released.
#pragma once

namespace aio::detail {

struct LoopResource {
    // Pass one: close fds, make no callbacks.
    virtual void loop_closing() noexcept = 0;
    // Pass two: the kernel has nothing of this resource's any more; unlink and let go.
    virtual void loop_closed() noexcept = 0;
    LoopResource* prev_resource = nullptr;
    LoopResource* next_resource = nullptr;

  protected:
    ~LoopResource() = default;
};

}  // namespace aio::detail
