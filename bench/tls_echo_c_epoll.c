#define _GNU_SOURCE
/* The reference TLS echo server: minimal hand-written C, epoll edge-triggered, one thread,
 * OpenSSL reading and writing the socket itself (read-ahead on, so one read takes every record
 * that has arrived). It decrypts up to 64 KiB and writes it back, keeping what the socket would
 * not take until it is writable. aio's TLS servers are measured against this one
 * (bench/tls_compare, TLS issue). OpenSSL's defaults otherwise: two session tickets per
 * handshake, as every server in the comparison sends.
 *   tls_echo_c_epoll PORT CERT KEY    (PORT 0: any free port; prints "Serving on 127.0.0.1:PORT")
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536

struct conn {
    int fd;
    SSL* ssl;
    int handshaken;
    size_t pending; /* bytes decrypted but not yet written back */
    char buf[BUF_SIZE];
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void close_conn(int ep, struct conn* c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    SSL_free(c->ssl);
    close(c->fd);
    free(c);
}

/* 1 if OpenSSL only waits for the socket, 0 if the connection is over. */
static int waits(struct conn* c, int r) {
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 1;
    if (err == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl); /* answer the close_notify */
    ERR_clear_error();
    return 0;
}

/* Handshake, then echo until the socket has nothing more or will not take more; 0 if the
 * connection ended. */
static int serve(struct conn* c) {
    if (!c->handshaken) {
        int r = SSL_accept(c->ssl);
        if (r != 1) return waits(c, r);
        c->handshaken = 1;
    }
    for (;;) {
        if (c->pending > 0) {
            int r = SSL_write(c->ssl, c->buf, (int)c->pending);
            if (r <= 0) return waits(c, r);
            c->pending = 0;
        }
        int n = SSL_read(c->ssl, c->buf, BUF_SIZE);
        if (n <= 0) return waits(c, n);
        c->pending = (size_t)n;
    }
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tls_echo_c_epoll PORT CERT KEY\n");
        return 2;
    }
    int port = atoi(argv[1]);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_read_ahead(ctx, 1);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
        perror("bind/listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(lfd, (struct sockaddr*)&addr, &len);
    printf("Serving on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[256];
    while (!stop) {
        int n = epoll_wait(ep, events, 256, 200);
        for (int i = 0; i < n; ++i) {
            struct conn* c = events[i].data.ptr;
            if (!c) { /* the listening socket */
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn* nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    nc->ssl = SSL_new(ctx);
                    SSL_set_fd(nc->ssl, fd);
                    SSL_set_accept_state(nc->ssl);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                              .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                    if (!serve(nc)) close_conn(ep, nc);
                }
                continue;
            }
            if (!serve(c)) close_conn(ep, c);
        }
    }
    close(ep);
    close(lfd);
    SSL_CTX_free(ctx);
    return 0;
}
