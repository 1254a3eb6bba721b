#define _GNU_SOURCE
/* The minimal hand-written C io_uring echo server: one thread, one ring, a recv then a send per
 * message on each connection (a send that goes short sends the rest before the next recv).
 * Submissions are batched: one io_uring_submit_and_wait per loop iteration.
 *   echo_c_uring [PORT]    (0 or none: any free port; prints "Serving on 127.0.0.1:PORT") */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536

struct conn {
    int fd;
    size_t sent, len; /* a send in progress: buf[sent, len) */
    char buf[BUF_SIZE];
};

enum { STOP = 0, ACCEPT = 1, RECV = 2, SEND = 3 };
#define TAG(p, kind) ((uint64_t)(uintptr_t)(p) | (kind))
#define KIND(d) ((int)((d)&3))
#define PTR(d) ((struct conn*)(uintptr_t)((d) & ~(uint64_t)3))

static int stop;

static struct io_uring ring;

static struct io_uring_sqe* sqe(void) {
    struct io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (!s) {
        io_uring_submit(&ring);
        s = io_uring_get_sqe(&ring);
    }
    return s;
}
static void post_recv(struct conn* c) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, c->fd, c->buf, BUF_SIZE, 0);
    io_uring_sqe_set_data64(s, TAG(c, RECV));
}
static void post_send(struct conn* c) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_send(s, c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, TAG(c, SEND));
}
static void post_accept(int lfd) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_accept(s, lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, ACCEPT);
}
static void drop(struct conn* c) {
    close(c->fd);
    free(c);
}

int main(int argc, char** argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0 ||
        getsockname(lfd, (struct sockaddr*)&addr, &alen) < 0) {
        perror("listen");
        return 1;
    }
    struct io_uring_params params = {.flags = IORING_SETUP_COOP_TASKRUN};
    int err = io_uring_queue_init_params(4096, &ring, &params);
    if (err < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-err));
        return 1;
    }
    /* SIGTERM and SIGINT arrive as a read on a signalfd, through the ring like everything else
     * (a handler would not do under valgrind, which holds signals back from io_uring_enter). */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    struct signalfd_siginfo siginfo;
    printf("Serving on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    post_accept(lfd);
    struct io_uring_sqe* s = sqe();
    io_uring_prep_read(s, sfd, &siginfo, sizeof siginfo, 0);
    io_uring_sqe_set_data64(s, STOP);
    while (!stop) {
        if (io_uring_submit_and_wait(&ring, 1) < 0) continue;
        struct io_uring_cqe* cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            uint64_t d = cqe->user_data;
            int res = cqe->res;
            struct conn* c = PTR(d);
            switch (KIND(d)) {
                case STOP:
                    stop = 1;
                    break;
                case ACCEPT:
                    if (res >= 0) {
                        setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        c = malloc(sizeof *c);
                        c->fd = res;
                        post_recv(c);
                    }
                    post_accept(lfd);
                    break;
                case RECV:
                    if (res <= 0) {
                        drop(c);
                        break;
                    }
                    c->sent = 0;
                    c->len = (size_t)res;
                    post_send(c);
                    break;
                case SEND:
                    if (res < 0) {
                        drop(c);
                        break;
                    }
                    c->sent += (size_t)res;
                    if (c->sent < c->len)
                        post_send(c);
                    else
                        post_recv(c);
                    break;
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
    return 0;
}
