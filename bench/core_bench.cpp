// Micro-benchmarks of the coroutine core. Each mode runs in a fresh process (bench/run starts
// them) so that peak-RSS figures are not polluted by an earlier mode.
//
//   core_bench spawn N      create_task + await, one task at a time       -> ns per task
//   core_bench spawn_all N  create N tasks, then await them all           -> ns per task
//   core_bench sleepers N   N tasks sleeping at once                      -> bytes per task
//   core_bench timers N     N call_later, then N cancel                   -> ns per pair
//   core_bench pingpong N   two tasks, two Queue(1)s, N round trips       -> ns per round trip
#include <aio/aio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

double now_ns() {
    return std::chrono::duration<double, std::nano>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The process's resident set and its peak so far, in bytes (/proc/self/status).
long status_kb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
    return -1;
}

aio::Task<int> trivial(int i) {
    co_return i;
}

aio::Task<> spawn(long n) {
    const double t0 = now_ns();
    long sum = 0;
    for (long i = 0; i < n; ++i)
        sum += co_await aio::create_task(trivial(1));
    const double t1 = now_ns();
    std::printf("spawn n=%ld ns_per_task=%.1f check=%ld\n", n, (t1 - t0) / n, sum);
}

aio::Task<> spawn_all(long n) {
    const double t0 = now_ns();
    std::vector<aio::TaskHandle<int>> tasks;
    tasks.reserve(n);
    for (long i = 0; i < n; ++i)
        tasks.push_back(aio::create_task(trivial(1)));
    long sum = 0;
    for (auto& t : tasks)
        sum += co_await t;
    const double t1 = now_ns();
    std::printf("spawn_all n=%ld ns_per_task=%.1f check=%ld\n", n, (t1 - t0) / n, sum);
}

// The benchmark's own bookkeeping lives outside the tasks, so that what is measured is a task
// and its sleep, not the arguments a particular program would pass it.
long sleepers_remaining = 0;
aio::Future<>* all_awake = nullptr;

aio::Task<> sleeper() {
    co_await aio::sleep(1s);
    if (--sleepers_remaining == 0) all_awake->set_result();
}

aio::Task<> sleepers(long n) {
    aio::Future<> awake;
    all_awake = &awake;
    sleepers_remaining = n;
    co_await aio::sleep(0s);
    const long before_kb = status_kb("VmRSS:");
    // Handles are dropped: what is measured is the task itself (frame, state, timer), as
    // Go's goroutines with a WaitGroup would be.
    for (long i = 0; i < n; ++i)
        aio::create_task(sleeper());
    co_await aio::sleep(100ms);  // all are asleep now
    const long peak_kb = status_kb("VmHWM:");
    co_await awake;
    std::printf("sleepers n=%ld bytes_per_task=%.1f rss_before_kb=%ld peak_kb=%ld\n", n,
                (peak_kb - before_kb) * 1024.0 / n, before_kb, peak_kb);
}

aio::Task<> timers(long n) {
    auto& loop = aio::get_running_loop();
    std::vector<aio::TimerHandle> handles;
    handles.reserve(n);
    const double t0 = now_ns();
    for (long i = 0; i < n; ++i)
        handles.push_back(loop.call_later(1s + std::chrono::nanoseconds(i % 977), [] {}));
    for (auto& h : handles)
        h.cancel();
    const double t1 = now_ns();
    handles.clear();
    // One at a time: the common case of a timeout armed and disarmed around one operation.
    const double t2 = now_ns();
    for (long i = 0; i < n; ++i)
        loop.call_later(1s, [] {}).cancel();
    const double t3 = now_ns();
    std::printf("timers n=%ld ns_per_pair_batch=%.1f ns_per_pair_single=%.1f\n", n, (t1 - t0) / n,
                (t3 - t2) / n);
    co_return;
}

aio::Task<> pong(aio::Queue<long>& in, aio::Queue<long>& out, long n) {
    for (long i = 0; i < n; ++i)
        co_await out.put(co_await in.get() + 1);
}

aio::Task<> pingpong(long n) {
    aio::Queue<long> there(1), back(1);
    auto other = aio::create_task(pong(there, back, n));
    const double t0 = now_ns();
    long value = 0;
    for (long i = 0; i < n; ++i) {
        co_await there.put(value);
        value = co_await back.get();
    }
    const double t1 = now_ns();
    co_await other;
    std::printf("pingpong n=%ld ns_per_round_trip=%.1f check=%ld\n", n, (t1 - t0) / n, value);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: core_bench spawn|spawn_all|sleepers|timers|pingpong [N]\n");
        return 2;
    }
    const std::string mode = argv[1];
    const long n = argc > 2 ? std::atol(argv[2]) : 1'000'000;
    if (mode == "spawn")
        aio::run(spawn(n));
    else if (mode == "spawn_all")
        aio::run(spawn_all(n));
    else if (mode == "sleepers")
        aio::run(sleepers(n));
    else if (mode == "timers")
        aio::run(timers(n));
    else if (mode == "pingpong")
        aio::run(pingpong(n));
    else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
}
