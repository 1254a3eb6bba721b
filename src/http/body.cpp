#include "body.hpp"

#include <algorithm>

#include "aio/errors.hpp"
#include "aio/http/request.hpp"
#include "aio/timeouts.hpp"

namespace aio::http {

namespace detail {

void Body::feed(std::string_view data) {
    if (discard || error_) return;
    if (pos_ == data_.size()) {
        data_.clear();
        pos_ = 0;
    }
    data_.append(data);
    waiter_.wake();
}

void Body::finish() noexcept {
    eof_ = true;
    waiter_.wake();
}

void Body::fail(std::exception_ptr error) noexcept {
    if (!error_) error_ = std::move(error);
    waiter_.wake();
}

std::string Body::take(std::size_t n) {
    n = std::min(n, buffered());
    std::string out = pos_ == 0 && n == data_.size() ? std::move(data_) : data_.substr(pos_, n);
    pos_ += n;
    if (pos_ >= data_.size()) {
        data_.clear();
        pos_ = 0;
    }
    if (connection) connection->body_consumed(*this);
    return out;
}

Task<> Body::wait_for_data() {
    co_await waiter_.wait(aio::detail::OneWaiter::Call::read);
}

Task<std::string> Body::read(long n) {
    if (continue_pending) {
        continue_pending = false;
        if (connection) connection->send_continue();
    }
    while (true) {
        if (error_) std::rethrow_exception(error_);
        if (n < 0 ? eof_ : buffered() > 0 || eof_)
            co_return take(n < 0 ? buffered() : static_cast<std::size_t>(n));
        if (!connection)
            throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
        connection->body_wanted(*this);
        bool timed_out = false;
        try {
            co_await aio::wait_for(wait_for_data(), connection->body_timeout());
        } catch (const TimeoutError&) {
            timed_out = true;
        }
        if (timed_out) {
            if (timeout_status) throw HTTPException(timeout_status, "Timed out reading the body");
            throw TimeoutError();
        }
    }
}

}  // namespace detail

namespace {
// (A free coroutine holding the body: a BodyReader is often a temporary, gone before the read
// is awaited.)
Task<std::string> read_body(std::shared_ptr<detail::Body> body, long n) {
    if (!body) co_return std::string();
    co_return co_await body->read(n);
}
}  // namespace

Task<std::string> BodyReader::read(long n) {
    return read_body(body_, n);
}

bool BodyReader::at_eof() const noexcept {
    return !body_ || body_->at_eof();
}

}  // namespace aio::http
