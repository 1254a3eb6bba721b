// Fuzz target: a StreamReader fed through feed_data() in chunks the input chooses, read with a
// mix of read / read_into / readexactly / readuntil / readline the input chooses, each result
// compared with a model of what asyncio's StreamReader returns (Lib/asyncio/streams.py, written
// over a plain std::string: no pooled buffers, no in-place reads). A difference aborts.
//
// The input is a script of bytes: the first sets the reader's limit (1..64, small, so that
// overruns happen); then each step either starts the next read (when none is waiting) or feeds a
// chunk (or the EOF). After every step the loop runs until it is idle, and the read's state
// (waiting, or its result) must be the model's. The model wakes where asyncio's reader wakes: at
// the call, and once per feed_data / feed_eof.
#include <aio/aio.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

// The script: bytes taken one at a time, zeros once it runs out.
class Script {
  public:
    Script(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const noexcept { return at_ >= size_; }
    std::uint8_t byte() noexcept { return at_ < size_ ? data_[at_++] : 0; }
    std::string bytes(std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i)
            s += static_cast<char>(byte());
        return s;
    }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

enum class Kind { read, read_all, read_into, readexactly, readuntil, readline };

struct Op {
    Kind kind = Kind::read;
    long n = 0;                     // read, read_into, readexactly
    std::vector<std::string> seps;  // readuntil
};

// What a read ended with: its value, or the error asyncio raises (and what the error carries).
struct Outcome {
    enum { value, incomplete, overrun } how = value;
    std::string text;  // the value, or IncompleteReadError's partial
    std::size_t consumed = 0;
    bool operator==(const Outcome&) const = default;
};

std::string describe(const std::optional<Outcome>& o) {
    if (!o) return "(waiting)";
    const char* how[] = {"value", "IncompleteReadError", "LimitOverrunError"};
    return std::string(how[o->how]) + " '" + o->text + "' consumed=" + std::to_string(o->consumed);
}

// asyncio's StreamReader over a std::string, one read at a time, resumable where asyncio awaits.
class Model {
  public:
    explicit Model(std::size_t limit) : limit_(limit) {}
    void feed(const std::string& data) { buffer_ += data; }
    void feed_eof() { eof_ = true; }
    bool at_eof() const { return eof_ && buffer_.empty(); }
    void start(const Op& op) {
        op_ = op;
        offset_ = 0;
    }
    // The read's outcome if it ends at this wake-up, else nothing (it waits again).
    std::optional<Outcome> wake() {
        switch (op_.kind) {
            case Kind::read:
            case Kind::read_into:
                if (op_.n == 0) return Outcome{Outcome::value, ""};
                if (buffer_.empty() && !eof_) return std::nullopt;
                return Outcome{Outcome::value, take(std::min<std::size_t>(op_.n, buffer_.size()))};
            case Kind::read_all:
                if (!eof_) return std::nullopt;
                return Outcome{Outcome::value, take(buffer_.size())};
            case Kind::readexactly:
                if (buffer_.size() >= static_cast<std::size_t>(op_.n))
                    return Outcome{Outcome::value, take(op_.n)};
                if (eof_) return Outcome{Outcome::incomplete, take(buffer_.size())};
                return std::nullopt;
            case Kind::readuntil:
                return readuntil(op_.seps);
            case Kind::readline: {
                auto o = readuntil({"\n"});
                if (!o) return o;
                if (o->how == Outcome::incomplete) return Outcome{Outcome::value, o->text};
                if (o->how == Outcome::overrun) {  // ValueError: the line is dropped
                    if (buffer_.compare(o->consumed, 1, "\n") == 0)
                        buffer_.erase(0, o->consumed + 1);
                    else
                        buffer_.clear();
                    return Outcome{Outcome::overrun, {}, 0};
                }
                return o;
            }
        }
        std::abort();
    }

  private:
    std::string take(std::size_t n) {
        std::string s = buffer_.substr(0, n);
        buffer_.erase(0, n);
        return s;
    }

    // streams.py, StreamReader.readuntil (3.13), from `while True:` to its return; the
    // separators are tried shortest first (sorted(separator, key=len)).
    std::optional<Outcome> readuntil(std::vector<std::string> seps) {
        std::stable_sort(seps.begin(), seps.end(),
                         [](const auto& a, const auto& b) { return a.size() < b.size(); });
        std::size_t min_len = SIZE_MAX, max_len = 0;
        for (const auto& s : seps) {
            min_len = std::min(min_len, s.size());
            max_len = std::max(max_len, s.size());
        }
        const std::size_t buflen = buffer_.size();
        if (buflen >= offset_ + min_len) {
            std::optional<std::size_t> match_start, match_end;
            for (const auto& sep : seps) {
                const std::size_t isep = buffer_.find(sep, offset_);
                if (isep != std::string::npos) {
                    const std::size_t end = isep + sep.size();
                    if (!match_end || end < *match_end) {
                        match_end = end;
                        match_start = isep;
                    }
                }
            }
            if (match_end) {
                if (*match_start > limit_) return Outcome{Outcome::overrun, "", *match_start};
                return Outcome{Outcome::value, take(*match_end)};
            }
            offset_ = buflen + 1 > max_len ? buflen + 1 - max_len : 0;
            if (offset_ > limit_) return Outcome{Outcome::overrun, "", offset_};
        }
        if (eof_) return Outcome{Outcome::incomplete, take(buflen)};
        return std::nullopt;
    }

    std::size_t limit_;
    std::string buffer_;
    bool eof_ = false;
    Op op_{};
    std::size_t offset_ = 0;
};

Op next_op(Script& s) {
    const std::uint8_t k = s.byte();
    Op op;
    op.kind = static_cast<Kind>(k % 6);
    op.n = s.byte() % 80;
    if (op.kind == Kind::read_into && op.n == 0) op.n = 1;
    if (op.kind == Kind::readuntil) {
        // One to three separators of one to three bytes from a small alphabet, so they occur.
        const int count = 1 + s.byte() % 3;
        for (int i = 0; i < count; ++i) {
            std::string sep;
            const int len = 1 + s.byte() % 3;
            for (int j = 0; j < len; ++j)
                sep += static_cast<char>('a' + s.byte() % 3);
            op.seps.push_back(sep);
        }
    }
    return op;
}

// (Each result is named before it goes into an Outcome: g++ 12 miscompiles a co_await inside
// a braced aggregate with a destructor.)
aio::Task<std::string> read_value(aio::StreamReader& reader, const Op& op) {
    switch (op.kind) {
        case Kind::read:
            co_return co_await reader.read(op.n);
        case Kind::read_all:
            co_return co_await reader.read();
        case Kind::read_into: {
            std::string buffer(static_cast<std::size_t>(op.n), '\0');
            const std::size_t n = co_await reader.read_into(buffer);
            buffer.resize(n);
            co_return buffer;
        }
        case Kind::readexactly:
            co_return co_await reader.readexactly(static_cast<std::size_t>(op.n));
        case Kind::readuntil:
            co_return co_await reader.readuntil(op.seps);
        case Kind::readline:
            co_return co_await reader.readline();
    }
    std::abort();
}

aio::Task<Outcome> perform(aio::StreamReader& reader, Op op) {
    Outcome outcome;
    try {
        outcome.text = co_await read_value(reader, op);
    } catch (const aio::IncompleteReadError& e) {
        outcome.how = Outcome::incomplete;
        outcome.text = e.partial();
    } catch (const aio::LimitOverrunError& e) {
        outcome.how = Outcome::overrun;
        outcome.consumed = e.consumed();
    } catch (const std::invalid_argument&) {  // readline's, asyncio's ValueError
        outcome.how = Outcome::overrun;
    }
    co_return outcome;
}

Op current;  // the read under way, for the report

[[noreturn]] void mismatch(const char* when, const std::optional<Outcome>& got,
                           const std::optional<Outcome>& want) {
    const char* names[] = {"read", "read()", "read_into", "readexactly", "readuntil", "readline"};
    std::string seps;
    for (const auto& sep : current.seps)
        seps += " '" + sep + "'";
    std::fprintf(stderr, "stream_reader_fuzz: %s(%ld%s), %s: aio gave %s, asyncio's model %s\n",
                 names[static_cast<int>(current.kind)], current.n, seps.c_str(), when,
                 describe(got).c_str(), describe(want).c_str());
    std::abort();
}

aio::Task<> idle() {
    for (int i = 0; i < 6; ++i)
        co_await aio::sleep(std::chrono::seconds(0));
}

aio::Task<> drive(Script& script) {
    const std::size_t limit = 1 + script.byte() % 64;
    aio::StreamReader reader(limit);
    Model model(limit);
    std::optional<aio::TaskHandle<Outcome>> reading;
    std::optional<Outcome> expected;  // the model's outcome of the read under way, once it has one
    bool eof = false;

    // After each step: the read has ended exactly when the model's has, the same way.
    auto check = [&](const char* when) {
        if (!reading) return;
        if (reading->done() != expected.has_value())
            mismatch(when, reading->done() ? std::optional(reading->result()) : std::nullopt,
                     expected);
        if (!expected) return;
        if (reading->result() != *expected) mismatch(when, reading->result(), expected);
        reading.reset();
        expected.reset();
    };

    while (!script.done()) {
        if (!reading && script.byte() % 2 == 0) {
            const Op op = next_op(script);
            current = op;
            if (std::getenv("FUZZ_TRACE"))
                std::fprintf(stderr, "op %d n=%ld limit=%zu\n", static_cast<int>(op.kind), op.n,
                             limit);
            model.start(op);
            expected = model.wake();
            reading = aio::create_task(perform(reader, op));
            co_await idle();
            check("at the call");
        } else if (!eof) {
            const std::uint8_t what = script.byte();
            if (what == 255) {
                eof = true;
                reader.feed_eof();
                model.feed_eof();
            } else {
                // Chunks from a small alphabet with newlines, so that separators are met.
                std::string chunk;
                for (int i = 0, n = 1 + what % 40; i < n; ++i) {
                    const std::uint8_t b = script.byte();
                    chunk += b % 5 == 4 ? '\n' : static_cast<char>('a' + b % 4);
                }
                if (std::getenv("FUZZ_TRACE")) std::fprintf(stderr, "feed '%s'\n", chunk.c_str());
                reader.feed_data(chunk);
                model.feed(chunk);
            }
            if (reading && !expected) expected = model.wake();
            co_await idle();
            check(eof ? "after the EOF" : "after a chunk");
        }
    }
    if (!eof) {
        reader.feed_eof();
        model.feed_eof();
        if (reading && !expected) expected = model.wake();
        co_await idle();
        check("after the final EOF");
    }
    // Whatever waits now waits for ever, as asyncio's would: a read of 0 bytes past EOF cannot.
    if (reading) {
        reading->cancel();
        co_await idle();
    }
    if (!reading && reader.at_eof() != model.at_eof()) {
        std::fprintf(stderr, "stream_reader_fuzz: at_eof %d, the model's %d\n", reader.at_eof(),
                     model.at_eof());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // One loop for every input (a loop's set-up would cost more than most inputs' work).
    static auto* loop = new aio::EventLoop({.backend = aio::BackendKind::epoll});
    Script script(data, size);
    loop->run_until_complete(drive(script));
    return 0;
}
