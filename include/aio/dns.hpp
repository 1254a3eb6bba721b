// Name resolution that never blocks the loop (asyncio's loop.getaddrinfo/getnameinfo): numeric
// hosts are answered at once, names are resolved by the C library on the default executor's
// threads. Failures raise GaiError (Python: socket.gaierror).
#pragma once
#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio {

class GaiError : public std::runtime_error {
  public:
    GaiError(int code, const std::string& what);
    // EAI_NONAME, EAI_AGAIN, ... (gai_strerror gives the text).
    int code() const noexcept { return code_; }

  private:
    int code_;
};

// One getaddrinfo result.
struct AddressInfo {
    int family = 0;
    int type = 0;
    int protocol = 0;
    std::string canonical_name;  // with AI_CANONNAME, on the first result
    SocketAddress address;
};

struct AddressHints {
    int family = AF_UNSPEC;
    int type = 0;
    int protocol = 0;
    int flags = 0;  // AI_PASSIVE, AI_CANONNAME, ...
};

// loop.getaddrinfo(host, port, ...): an empty host is the wildcard with AI_PASSIVE, else
// loopback (as the C function does with a null host).
Task<std::vector<AddressInfo>> getaddrinfo(std::string host, std::uint16_t port,
                                           AddressHints hints);
Task<std::vector<AddressInfo>> getaddrinfo(std::string host, std::uint16_t port);
// loop.getnameinfo((host, port), flags): the host and service names.
Task<std::pair<std::string, std::string>> getnameinfo(SocketAddress address, int flags = 0);

}  // namespace aio
