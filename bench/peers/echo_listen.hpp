// What the blocking echo servers (echo_threads, echo_fork) share: the listening socket and the
// echo loop of one connection.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

// Listens on 127.0.0.1:port (0: any free port), backlog SOMAXCONN; prints where.
inline int echo_listen(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
        ::listen(fd, SOMAXCONN) < 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) < 0) {
        std::perror("listen");
        std::exit(1);
    }
    std::printf("Serving on 127.0.0.1:%d\n", ntohs(address.sin_port));
    std::fflush(stdout);
    return fd;
}

// Reads and writes back until the client closes (or fails).
inline void echo_until_closed(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buffer[16384];
    while (true) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) return;
        for (ssize_t sent = 0; sent < n;) {
            const ssize_t w = ::write(fd, buffer + sent, static_cast<std::size_t>(n - sent));
            if (w <= 0) return;
            sent += w;
        }
    }
}
