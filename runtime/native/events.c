/*
 * Event sources of limen:native: unix sockets, netlink (uevents, rtnetlink) and inotify. Every
 * descriptor is close-on-exec; those a program polls are non-blocking.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "quickjs.h"
#include "native.h"

static int unix_address(JSContext *ctx, const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        limen_throw_errno(ctx, ENAMETOOLONG, "socket", path);
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

/* A unix socket for `path` (its address in *sa); -1 with an exception thrown on failure. */
static int unix_socket(JSContext *ctx, const char *path, bool dgram, int flags, struct sockaddr_un *sa)
{
    int fd;
    if (!path || unix_address(ctx, path, sa) < 0)
        return -1;
    fd = socket(AF_UNIX, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | flags, 0);
    if (fd < 0)
        limen_throw_errno(ctx, errno, "socket", path);
    return fd;
}

/* Closes fd and throws the error of the failed call. */
static JSValue fail_socket(JSContext *ctx, int fd, const char *call, const char *path)
{
    JSValue e = limen_throw_errno(ctx, errno, call, path);
    close(fd);
    return e;
}

/* unixListen(path, datagram?) -> fd: a non-blocking listening (or bound datagram) socket. */
static JSValue n_unix_listen(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_un sa;
    const char *path = JS_ToCString(ctx, argv[0]);
    bool dgram = argc > 1 && JS_ToBool(ctx, argv[1]);
    int fd = unix_socket(ctx, path, dgram, SOCK_NONBLOCK, &sa);
    JSValue ret = JS_EXCEPTION;
    if (fd >= 0) {
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
            ret = fail_socket(ctx, fd, "bind", path);
        else if (!dgram && listen(fd, 64) < 0)
            ret = fail_socket(ctx, fd, "listen", path);
        else
            ret = JS_NewInt32(ctx, fd);
    }
    JS_FreeCString(ctx, path);
    return ret;
}

/* unixConnect(path, datagram?) -> fd (blocking, close-on-exec). */
static JSValue n_unix_connect(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_un sa;
    const char *path = JS_ToCString(ctx, argv[0]);
    bool dgram = argc > 1 && JS_ToBool(ctx, argv[1]);
    int fd = unix_socket(ctx, path, dgram, 0, &sa);
    JSValue ret = JS_EXCEPTION;
    if (fd >= 0)
        ret = connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? fail_socket(ctx, fd, "connect", path)
                                                                 : JS_NewInt32(ctx, fd);
    JS_FreeCString(ctx, path);
    return ret;
}

/* accept(fd) -> fd, or null when no connection is waiting. */
static JSValue n_accept(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    int c;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return JS_NULL;
    return limen_check_fd(ctx, c, "accept", NULL);
}

/* netlinkOpen(protocol, groups) -> fd: bound to the given multicast groups, non-blocking. */
static JSValue n_netlink_open(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int32_t protocol;
    uint32_t groups;
    int fd, size = 1 << 20;
    if (JS_ToInt32(ctx, &protocol, argv[0]) || JS_ToUint32(ctx, &groups, argv[1]))
        return JS_EXCEPTION;
    sa.nl_groups = groups;
    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0)
        return limen_throw_errno(ctx, errno, "socket", "netlink");
    /* uevents arrive in bursts at coldplug: a large buffer avoids ENOBUFS (best effort) */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return limen_throw_errno(ctx, e, "bind", "netlink");
    }
    return JS_NewInt32(ctx, fd);
}

/*
 * netlinkReceive(fd, buffer) -> [length, senderPortId], or null when nothing is waiting. The
 * sender's port id is what read() cannot tell: 0 is the kernel; anything else is a process
 * (a uevent sent by another program must not be taken for the kernel's).
 */
static JSValue n_netlink_receive(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_nl sa;
    socklen_t salen = sizeof sa;
    int32_t fd;
    size_t size;
    uint8_t *buf;
    ssize_t n;
    JSValue pair;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    buf = JS_GetArrayBuffer(ctx, &size, argv[1]);
    if (!buf)
        return JS_EXCEPTION;
    do
        n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&sa, &salen);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? JS_NULL : limen_throw_errno(ctx, errno, "recvfrom", "netlink");
    pair = JS_NewArray(ctx);
    JS_SetPropertyUint32(ctx, pair, 0, JS_NewInt64(ctx, n));
    JS_SetPropertyUint32(ctx, pair, 1, JS_NewUint32(ctx, sa.nl_pid));
    return pair;
}

static JSValue n_inotify_init(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return limen_check_fd(ctx, inotify_init1(IN_CLOEXEC | IN_NONBLOCK), "inotify_init1", NULL);
}

/* inotifyAddWatch(fd, path, mask) -> watch descriptor */
static JSValue n_inotify_add_watch(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    uint32_t mask;
    const char *path = JS_ToCString(ctx, argv[1]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToInt32(ctx, &fd, argv[0]) && !JS_ToUint32(ctx, &mask, argv[2]))
        ret = limen_check_fd(ctx, inotify_add_watch(fd, path, mask), "inotify_add_watch", path);
    JS_FreeCString(ctx, path);
    return ret;
}

static JSValue n_inotify_rm_watch(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, wd;
    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt32(ctx, &wd, argv[1]))
        return JS_EXCEPTION;
    return limen_check(ctx, inotify_rm_watch(fd, wd), "inotify_rm_watch", NULL);
}

/* inotifyRead(fd) -> [{wd, mask, cookie, name}], empty when nothing is pending. */
static JSValue n_inotify_read(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int32_t fd;
    ssize_t n;
    uint32_t count = 0;
    JSValue list;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    n = read(fd, buf, sizeof buf);
    if (n < 0 && errno != EAGAIN)
        return limen_throw_errno(ctx, errno, "read", "inotify");
    list = JS_NewArray(ctx);
    for (char *p = buf; n > 0 && p < buf + n;) {
        const struct inotify_event *ev = (const struct inotify_event *)p;
        JSValue o = JS_NewObject(ctx);
        JS_SetPropertyStr(ctx, o, "wd", JS_NewInt32(ctx, ev->wd));
        JS_SetPropertyStr(ctx, o, "mask", JS_NewUint32(ctx, ev->mask));
        JS_SetPropertyStr(ctx, o, "cookie", JS_NewUint32(ctx, ev->cookie));
        JS_SetPropertyStr(ctx, o, "name", JS_NewString(ctx, ev->len ? ev->name : ""));
        JS_SetPropertyUint32(ctx, list, count++, o);
        p += sizeof *ev + ev->len;
    }
    return list;
}

const JSCFunctionListEntry limen_events_funcs[] = {
    JS_CFUNC_DEF("unixListen", 2, n_unix_listen),
    JS_CFUNC_DEF("unixConnect", 2, n_unix_connect),
    JS_CFUNC_DEF("accept", 1, n_accept),
    JS_CFUNC_DEF("netlinkOpen", 2, n_netlink_open),
    JS_CFUNC_DEF("netlinkReceive", 2, n_netlink_receive),
    JS_CFUNC_DEF("inotifyInit", 0, n_inotify_init),
    JS_CFUNC_DEF("inotifyAddWatch", 3, n_inotify_add_watch),
    JS_CFUNC_DEF("inotifyRmWatch", 2, n_inotify_rm_watch),
    JS_CFUNC_DEF("inotifyRead", 1, n_inotify_read),
    JS_PROP_INT32_DEF("NETLINK_ROUTE", NETLINK_ROUTE, 0),
    JS_PROP_INT32_DEF("NETLINK_KOBJECT_UEVENT", NETLINK_KOBJECT_UEVENT, 0),
    JS_PROP_INT32_DEF("IN_MODIFY", IN_MODIFY, 0),
    JS_PROP_INT32_DEF("IN_ATTRIB", IN_ATTRIB, 0),
    JS_PROP_INT32_DEF("IN_CLOSE_WRITE", IN_CLOSE_WRITE, 0),
    JS_PROP_INT32_DEF("IN_MOVED_FROM", IN_MOVED_FROM, 0),
    JS_PROP_INT32_DEF("IN_MOVED_TO", IN_MOVED_TO, 0),
    JS_PROP_INT32_DEF("IN_CREATE", IN_CREATE, 0),
    JS_PROP_INT32_DEF("IN_DELETE", IN_DELETE, 0),
    JS_PROP_INT32_DEF("IN_DELETE_SELF", IN_DELETE_SELF, 0),
    JS_PROP_INT32_DEF("IN_MOVE_SELF", IN_MOVE_SELF, 0),
    JS_PROP_INT32_DEF("IN_ISDIR", IN_ISDIR, 0),
    JS_PROP_INT32_DEF("IN_IGNORED", IN_IGNORED, 0),
    JS_PROP_INT32_DEF("IN_Q_OVERFLOW", IN_Q_OVERFLOW, 0),
};
const int limen_events_count = sizeof limen_events_funcs / sizeof limen_events_funcs[0];
