// An echo server with a process per connection (the "processes" row of the talks' table): the
// parent forks a child for each connection, which reads and writes back with blocking calls
// until the client closes, then exits (SIGCHLD ignored: the kernel reaps). Prints
// "Serving on 127.0.0.1:PORT".
//   echo_fork [PORT]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "echo_listen.hpp"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGCHLD, SIG_IGN);
    const int listener = echo_listen(argc > 1 ? std::atoi(argv[1]) : 0);
    while (true) {
        const int fd = ::accept4(listener, nullptr, nullptr, 0);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            std::perror("accept");
            return 1;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(listener);
            echo_until_closed(fd);
            ::_exit(0);
        }
        if (pid < 0) std::perror("fork");
        ::close(fd);
    }
}
