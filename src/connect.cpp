// Connecting a stream socket the way asyncio's create_connection does: the resolver's addresses
// (reordered by family on request), tried one after another or staggered (RFC 8305 Happy
// Eyeballs), each from an optional local address, and asyncio's rules for the error when none
// answers.
#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "aio/connections.hpp"
#include "aio/dns.hpp"
#include "aio/errors.hpp"
#include "aio/locks.hpp"
#include "aio/loop.hpp"
#include "aio/tasks.hpp"
#include "aio/timeouts.hpp"

namespace aio::detail {
namespace {

// One attempt: a socket of the address's family, bound to the local address if asked, then
// connected.
Task<Socket> connect_one(SocketAddress address, std::optional<SocketAddress> local) {
    if (local && local->family() != address.family())
        throw std::system_error(
            EADDRNOTAVAIL, std::generic_category(),
            "no matching local address with family=" + std::to_string(address.family()) + " found");
    auto sock = Socket::create(address.family());
    if (local) {
        try {
            sock.bind(*local);
        } catch (const std::system_error& e) {
            throw std::system_error(
                e.code(), "error while attempting to bind on address " + local->to_string());
        }
    }
    co_await sock_connect(sock, address);
    co_return sock;
}

[[noreturn]] void raise_connect_errors(std::vector<std::exception_ptr> errors, bool all_errors) {
    if (errors.empty()) throw std::system_error(EADDRNOTAVAIL, std::generic_category(), "connect");
    if (all_errors) throw ExceptionGroup("create_connection failed", std::move(errors));
    if (errors.size() == 1) std::rethrow_exception(errors.front());
    // asyncio: the error itself if every attempt failed the same way, else a summary.
    std::vector<std::string> texts;
    int code = 0;
    for (const auto& e : errors) {
        try {
            std::rethrow_exception(e);
        } catch (const std::system_error& se) {
            texts.emplace_back(se.what());
            code = se.code().value();
        }
    }
    bool same = true;
    std::string all = "Multiple exceptions: ";
    for (std::size_t i = 0; i < texts.size(); ++i) {
        same = same && texts[i] == texts.front();
        all += (i ? ", " : "") + texts[i];
    }
    if (same) std::rethrow_exception(errors.front());
    throw std::system_error(code, std::generic_category(), all);
}

// The attempts of one staggered race and what they found.
struct Race {
    std::optional<Socket> winner;
    std::vector<std::exception_ptr> errors;  // by attempt, null unless it failed
    std::size_t finished = 0;
    Event changed;  // an attempt finished
};

Task<> race_one(Race& race, std::size_t index, SocketAddress address,
                std::optional<SocketAddress> local) {
    try {
        Socket sock = co_await connect_one(address, local);
        if (!race.winner) race.winner = std::move(sock);  // (a later winner's socket closes)
    } catch (const std::system_error&) {
        race.errors[index] = std::current_exception();
    }
    ++race.finished;
    race.changed.set();
}

// Happy Eyeballs (asyncio's staggered_race): attempt i + 1 starts when attempt i fails or
// `delay` has passed, whichever is first; the first connection wins and the attempts still
// running are cancelled (and awaited: nothing of them is left behind).
Task<Socket> connect_staggered(const std::vector<SocketAddress>& addresses, Duration delay,
                               const ConnectOptions& options) {
    Race race;
    race.errors.resize(addresses.size());
    std::vector<TaskHandle<void>> attempts;
    EventLoop& loop = get_running_loop();
    std::exception_ptr failure;  // our own cancellation, or a failure to start an attempt
    try {
        for (std::size_t i = 0; i < addresses.size() && !race.winner; ++i) {
            race.changed.clear();
            attempts.push_back(
                loop.create_task(race_one(race, i, addresses[i], options.local_addr)));
            if (i + 1 == addresses.size()) break;
            try {
                Task<> changed = wait_for(race.changed.wait(), delay);
                co_await std::move(changed);
            } catch (const TimeoutError&) {
            }
        }
        while (!race.winner && race.finished < attempts.size()) {
            race.changed.clear();
            co_await race.changed.wait();
        }
    } catch (...) {
        failure = std::current_exception();
    }
    for (auto& attempt : attempts)
        if (!attempt.done()) attempt.cancel();
    for (auto& attempt : attempts) {
        try {
            co_await attempt;
        } catch (const CancelledError&) {
        }
    }
    if (failure) std::rethrow_exception(failure);
    if (race.winner) co_return std::move(*race.winner);
    std::vector<std::exception_ptr> errors;
    for (auto& e : race.errors)
        if (e) errors.push_back(e);
    raise_connect_errors(std::move(errors), options.all_errors);
}

}  // namespace

std::vector<SocketAddress> interleave_addresses(std::vector<SocketAddress> addresses,
                                                int first_family_count) {
    std::vector<std::vector<SocketAddress>> by_family;
    for (auto& a : addresses) {
        auto it = std::find_if(by_family.begin(), by_family.end(),
                               [&](const auto& f) { return f.front().family() == a.family(); });
        if (it == by_family.end())
            by_family.push_back({a});
        else
            it->push_back(a);
    }
    std::vector<SocketAddress> ordered;
    std::vector<std::size_t> next(by_family.size(), 0);
    if (!by_family.empty() && first_family_count > 1) {
        auto& first = by_family.front();
        while (next[0] < first.size() && next[0] + 1 < static_cast<std::size_t>(first_family_count))
            ordered.push_back(first[next[0]++]);
    }
    for (bool any = true; any;) {
        any = false;
        for (std::size_t f = 0; f < by_family.size(); ++f) {
            if (next[f] < by_family[f].size()) {
                ordered.push_back(by_family[f][next[f]++]);
                any = true;
            }
        }
    }
    return ordered;
}

Task<std::vector<SocketAddress>> resolve_stream(std::string host, std::uint16_t port,
                                                ConnectOptions options) {
    const AddressHints hints{.family = options.family,
                             .type = SOCK_STREAM,
                             .protocol = options.proto,
                             .flags = options.flags};
    std::vector<SocketAddress> addresses;
    for (auto& info : co_await getaddrinfo(host, port, hints))
        addresses.push_back(info.address);
    int interleave = options.interleave;
    if (interleave == 0 && options.happy_eyeballs_delay) interleave = 1;
    if (interleave > 0) addresses = interleave_addresses(std::move(addresses), interleave);
    co_return addresses;
}

// (The default options are a named object: GCC 12 destroys a braced temporary passed to a
// coroutine twice when the call is inlined into a co_await; so in every forwarding overload.)
Task<Socket> connect_any(std::vector<SocketAddress> addresses) {
    const ConnectOptions defaults;
    return connect_any(std::move(addresses), defaults);
}

Task<Socket> connect_any(std::vector<SocketAddress> addresses, ConnectOptions options) {
    if (options.happy_eyeballs_delay && addresses.size() > 1) {
        Task<Socket> race = connect_staggered(addresses, *options.happy_eyeballs_delay, options);
        co_return co_await std::move(race);
    }
    std::vector<std::exception_ptr> errors;
    for (const auto& address : addresses) {
        try {
            co_return co_await connect_one(address, options.local_addr);
        } catch (const std::system_error&) {
            errors.push_back(std::current_exception());
        }
    }
    raise_connect_errors(std::move(errors), options.all_errors);
}

}  // namespace aio::detail
