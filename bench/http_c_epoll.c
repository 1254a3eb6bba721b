#define _GNU_SOURCE
/* The reference HTTP responder: minimal hand-written C, epoll edge-triggered, one thread. It
 * answers every request head it finds (up to "\r\n\r\n"; no bodies, no parsing beyond the path)
 * with a canned plaintext or JSON response, all the answers to one read in one write. It is the
 * limit an HTTP server can approach on this machine, not a server (bench/http_compare).
 *   http_c_epoll [PORT]    (0 or none: any free port; prints "Serving on 127.0.0.1:PORT") */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 65536

struct conn {
    int fd;
    size_t have;    /* bytes of an unfinished request head kept from the last read */
    size_t out_len; /* bytes of responses the socket would not take yet */
    char in[BUF_SIZE];
    char out[BUF_SIZE * 4];
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static char date[64];
static time_t date_second;
static void refresh_date(void) {
    time_t now = time(NULL);
    if (now == date_second) return;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    date_second = now;
}

static size_t respond(char* out, int json) {
    static const char plain_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: c\r\n"
                                     "Content-Length: 13\r\n";
    static const char json_head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    "Server: c\r\nContent-Length: 27\r\n";
    const char* head = json ? json_head : plain_head;
    const char* body = json ? "{\"message\":\"Hello, World!\"}" : "Hello, World!";
    size_t n = 0, len = strlen(head);
    memcpy(out, head, len), n += len;
    len = strlen(date), memcpy(out + n, date, len), n += len;
    memcpy(out + n, "\r\n", 2), n += 2;
    len = strlen(body), memcpy(out + n, body, len), n += len;
    return n;
}

static void close_conn(int ep, struct conn* c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static int flush_out(struct conn* c) {
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) break;
            return 0;
        }
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    return 1;
}

/* Reads and answers until the socket has nothing more; 0 if the connection ended. */
static int serve(struct conn* c) {
    refresh_date();
    for (;;) {
        if (!flush_out(c)) return 0;
        if (c->out_len > sizeof c->out - BUF_SIZE) return 1; /* wait until it is writable */
        ssize_t n = recv(c->fd, c->in + c->have, BUF_SIZE - c->have, 0);
        if (n == 0) return 0;
        if (n < 0) return errno == EAGAIN;
        size_t end = c->have + (size_t)n, start = 0;
        for (;;) {
            char* head_end = memmem(c->in + start, end - start, "\r\n\r\n", 4);
            if (!head_end) break;
            int json = strncmp(c->in + start, "GET /json", 9) == 0;
            if (c->out_len + 256 > sizeof c->out) break;
            c->out_len += respond(c->out + c->out_len, json);
            start = (size_t)(head_end - c->in) + 4;
        }
        c->have = end - start;
        if (c->have == BUF_SIZE) return 0; /* a head larger than the buffer */
        memmove(c->in, c->in + start, c->have);
    }
}

int main(int argc, char** argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 1024) < 0) {
        perror("listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(lfd, (struct sockaddr*)&addr, &len);
    printf("Serving on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[256];
    while (!stop) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            struct conn* c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = malloc(sizeof *c);
                    c->fd = fd, c->have = 0, c->out_len = 0;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            if (!serve(c)) close_conn(ep, c);
        }
    }
    return 0;
}
