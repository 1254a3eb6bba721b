// An echo server with a thread per connection (the "threads" row of the talks' table): the
// accepting thread starts a detached thread for each connection, which reads and writes back
// with blocking calls until the client closes. Prints "Serving on 127.0.0.1:PORT".
//   echo_threads [PORT]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "echo_listen.hpp"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const int listener = echo_listen(argc > 1 ? std::atoi(argv[1]) : 0);
    while (true) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            std::perror("accept");
            return 1;
        }
        std::thread([fd] {
            echo_until_closed(fd);
            ::close(fd);
        }).detach();
    }
}
