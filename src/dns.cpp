#include "aio/dns.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "aio/executor.hpp"

namespace aio {

GaiError::GaiError(int code, const std::string& what)
    : std::runtime_error(what + ": " + ::gai_strerror(code)), code_(code) {}

namespace {

// What the C function answers, copied out (runs on a worker thread).
std::vector<AddressInfo> resolve(const std::string& host, std::uint16_t port, AddressHints h) {
    addrinfo hints{};
    hints.ai_family = h.family;
    hints.ai_socktype = h.type;
    hints.ai_protocol = h.protocol;
    hints.ai_flags = h.flags;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int rc =
        ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
    if (rc == EAI_SYSTEM) throw std::system_error(errno, std::generic_category(), "getaddrinfo");
    if (rc != 0) throw GaiError(rc, "getaddrinfo '" + host + "'");
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(list, ::freeaddrinfo);
    std::vector<AddressInfo> out;
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        AddressInfo info{ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                         ai->ai_canonname ? ai->ai_canonname : "", SocketAddress()};
        std::memcpy(info.address.data(), ai->ai_addr, ai->ai_addrlen);
        *info.address.size_ptr() = ai->ai_addrlen;
        out.push_back(std::move(info));
    }
    return out;
}

// asyncio's _ipaddr_info: a numeric host needs no resolver, and no thread.
bool numeric_answer(const std::string& host, std::uint16_t port, const AddressHints& h,
                    std::vector<AddressInfo>& out) {
    if (host.empty() || (h.flags & AI_CANONNAME)) return false;
    SocketAddress address;
    try {
        address = SocketAddress::parse(host, port);
    } catch (const std::invalid_argument&) {
        return false;
    }
    if (h.family != AF_UNSPEC && h.family != address.family()) return false;
    const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    for (int type : types) {
        if (h.type != 0 && h.type != type) continue;
        const int protocol = h.protocol            ? h.protocol
                             : type == SOCK_STREAM ? IPPROTO_TCP
                                                   : IPPROTO_UDP;
        out.push_back({address.family(), type, protocol, "", address});
    }
    return true;
}

// Not coroutines: g++ 12 mis-copies lambdas made inside a coroutine's co_await expression.
Task<std::vector<AddressInfo>> resolve_in_thread(std::string host, std::uint16_t port,
                                                 AddressHints hints) {
    return to_thread([host = std::move(host), port, hints] { return resolve(host, port, hints); });
}

std::pair<std::string, std::string> name_of(const SocketAddress& address, int flags) {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    const int rc = ::getnameinfo(address.data(), address.size(), host, sizeof host, service,
                                 sizeof service, flags);
    if (rc == EAI_SYSTEM) throw std::system_error(errno, std::generic_category(), "getnameinfo");
    if (rc != 0) throw GaiError(rc, "getnameinfo");
    return {host, service};
}

}  // namespace

Task<std::vector<AddressInfo>> getaddrinfo(std::string host, std::uint16_t port) {
    return getaddrinfo(std::move(host), port, AddressHints{});
}

Task<std::vector<AddressInfo>> getaddrinfo(std::string host, std::uint16_t port,
                                           AddressHints hints) {
    std::vector<AddressInfo> out;
    if (numeric_answer(host, port, hints, out)) co_return out;
    co_return co_await resolve_in_thread(std::move(host), port, hints);
}

Task<std::pair<std::string, std::string>> getnameinfo(SocketAddress address, int flags) {
    return to_thread([address, flags] { return name_of(address, flags); });
}

}  // namespace aio
