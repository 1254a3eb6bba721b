#include "aio/datagrams.hpp"

#include <cerrno>
#include <system_error>

#include "aio/dns.hpp"

namespace aio {

Task<> DatagramEndpoint::sendto(std::string_view data, const SocketAddress& to) {
    const std::size_t n = co_await sock_sendto(sock_, data, to);
    if (n != data.size())  // UDP sends whole datagrams or fails; anything else is a bug
        throw std::system_error(EMSGSIZE, std::generic_category(), "sendto: datagram cut");
}

Task<std::pair<std::string, SocketAddress>> DatagramEndpoint::recvfrom(std::size_t max_bytes) {
    return sock_recvfrom(sock_, max_bytes);
}

Task<DatagramEndpoint> open_datagram_endpoint(std::string host, std::uint16_t port) {
    const auto infos =
        co_await getaddrinfo(host, port, AddressHints{.type = SOCK_DGRAM, .flags = AI_PASSIVE});
    if (infos.empty()) throw std::system_error(EADDRNOTAVAIL, std::generic_category(), host);
    auto sock = Socket::create(infos.front().family, SOCK_DGRAM);
    sock.bind(infos.front().address);
    co_return DatagramEndpoint(std::move(sock));
}

}  // namespace aio
