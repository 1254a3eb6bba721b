// The coroutine test runner of aio/testing.hpp. A library of its own (aio::testing), so that aio
// itself does not depend on GoogleTest.
#include "aio/testing.hpp"

#include "backend/fault_injection.hpp"

namespace aio::testing {
namespace {
std::vector<ExceptionContext>* current_reports = nullptr;
}

std::vector<ExceptionContext> take_reports() {
    if (!current_reports) return {};
    return std::exchange(*current_reports, {});
}

void run_test(Task<> (*body)(), LoopOptions options) {
    std::vector<ExceptionContext> reports;
    current_reports = &reports;
    {
        Runner runner(options);
        EventLoop& loop = runner.loop();
        loop.set_exception_handler(
            [&](EventLoop&, const ExceptionContext& c) { reports.push_back(c); });
        try {
            loop.run_until_complete(body());
        } catch (const CancelledError& e) {
            ADD_FAILURE() << "the test body was cancelled: " << e.what();
        } catch (...) {
            ADD_FAILURE() << "the test body threw " << describe(std::current_exception());
        }
        std::string leaked;
        for (auto& t : all_tasks(loop)) {
            leaked += ' ';
            leaked += t.get_name();
        }
        if (!leaked.empty())
            ADD_FAILURE() << "tasks still pending when the test returned:" << leaked;
    }  // the runner cancels what is left and closes the loop
    current_reports = nullptr;
    for (const auto& r : reports)
        ADD_FAILURE() << "exception handler called: " << r.message << " [" << r.future << "] "
                      << (r.exception ? describe(r.exception) : "");
}

void inject_faults(const FaultRates& rates) {
    detail::faults::set(
        {rates.seed, rates.reset_on_read, rates.reset_on_write, rates.out_of_fds_on_accept});
}

void stop_injecting_faults() {
    detail::faults::set({});
}

}  // namespace aio::testing
