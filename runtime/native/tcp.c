/*
 * TCP client sockets of limen:native: connect by name (musl's resolver: /etc/hosts, then DNS),
 * read and write with a deadline. Sockets are non-blocking and close-on-exec; every wait is a
 * poll() bounded by the caller's timeout, so a silent peer cannot hang a service.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "quickjs.h"
#include "native.h"

int64_t limen_deadline(int32_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
}

int limen_wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    for (;;) {
        int64_t left = deadline - limen_deadline(0);
        int r;
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        r = poll(&p, 1, left > 1 << 30 ? 1 << 30 : (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/*
 * Non-blocking connect bounded by the deadline: the fd, or -1 with errno. The outcome is read with
 * a peeking recv rather than SO_ERROR, whose raw value qemu-user passes on untranslated.
 */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
    char c;
    int err;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno == EINPROGRESS && limen_wait_fd(fd, POLLOUT, deadline) == 0 &&
        (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 || errno == EAGAIN))
        return fd;
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/*
 * tcpConnect(host, port, timeoutMs) -> fd: the first of the host's addresses (IPv6 or IPv4, in
 * the resolver's order) that accepts before the deadline.
 */
static JSValue t_connect(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    char where[300], service[8];
    int32_t port, timeout;
    int fd = -1, err = 0, r;
    int64_t deadline;
    JSValue ret;
    const char *host = JS_ToCString(ctx, argv[0]);
    if (!host)
        return JS_EXCEPTION;
    if (JS_ToInt32(ctx, &port, argv[1]) || JS_ToInt32(ctx, &timeout, argv[2])) {
        JS_FreeCString(ctx, host);
        return JS_EXCEPTION;
    }
    snprintf(where, sizeof where, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, (int)port);
    if (port < 1 || port > 65535) {
        ret = JS_ThrowRangeError(ctx, "tcpConnect %s: port must be 1 to 65535", where);
        goto done;
    }
    snprintf(service, sizeof service, "%d", (int)port);
    deadline = limen_deadline(timeout);
    r = getaddrinfo(host, service, &hints, &res);
    if (r) {
        ret =
            limen_throw(ctx, "ENOTFOUND", 0, "getaddrinfo", host, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
        goto done;
    }
    for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, deadline);
        if (fd < 0)
            err = errno;
    }
    freeaddrinfo(res);
    ret = fd >= 0 ? JS_NewInt32(ctx, fd) : limen_throw_errno(ctx, err, "connect", where);
done:
    JS_FreeCString(ctx, host);
    return ret;
}

/* sockRead(fd, max, timeoutMs) -> up to max bytes; empty at end of stream. */
static JSValue t_read(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, max, timeout;
    uint8_t buf[16384];
    int64_t deadline;
    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt32(ctx, &max, argv[1]) || JS_ToInt32(ctx, &timeout, argv[2]))
        return JS_EXCEPTION;
    if (max < 1 || max > (int32_t)sizeof buf)
        return JS_ThrowRangeError(ctx, "sockRead: max must be 1 to %u", (unsigned)sizeof buf);
    deadline = limen_deadline(timeout);
    for (;;) {
        ssize_t n;
        if (limen_wait_fd(fd, POLLIN, deadline) < 0)
            return limen_throw_errno(ctx, errno, "read", "socket");
        n = read(fd, buf, max);
        if (n >= 0)
            return JS_NewArrayBufferCopy(ctx, buf, n);
        if (errno != EAGAIN && errno != EINTR)
            return limen_throw_errno(ctx, errno, "read", "socket");
    }
}

/* sockWrite(fd, data, timeoutMs): writes all of data before the deadline. */
static JSValue t_write(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, timeout;
    size_t len, done = 0;
    const uint8_t *data;
    int64_t deadline;
    if (JS_ToInt32(ctx, &fd, argv[0]) || !(data = limen_bytes(ctx, argv[1], &len, "sockWrite", "data")) ||
        JS_ToInt32(ctx, &timeout, argv[2]))
        return JS_EXCEPTION;
    deadline = limen_deadline(timeout);
    while (done < len) {
        ssize_t n;
        if (limen_wait_fd(fd, POLLOUT, deadline) < 0)
            return limen_throw_errno(ctx, errno, "write", "socket");
        n = send(fd, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0)
            done += n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return limen_throw_errno(ctx, errno, "write", "socket");
    }
    return JS_UNDEFINED;
}

const JSCFunctionListEntry limen_tcp_funcs[] = {
    JS_CFUNC_DEF("tcpConnect", 3, t_connect),
    JS_CFUNC_DEF("sockRead", 3, t_read),
    JS_CFUNC_DEF("sockWrite", 3, t_write),
};
const int limen_tcp_count = sizeof limen_tcp_funcs / sizeof limen_tcp_funcs[0];
