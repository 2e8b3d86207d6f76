/*
 * limen:native — the kernel calls a router's init and service manager need that qjs:os lacks.
 * Every failure throws an Error whose message starts with the errno name and names the call and
 * its argument; the error also carries `code`, `errno`, `syscall` and `path` properties.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "quickjs.h"
#include "native.h"

/* The errno values a caller may meet, by name: the name is what JavaScript code tests. */
static const struct {
    int value;
    const char *name;
} errno_names[] = {
    { EPERM, "EPERM" },
    { ENOENT, "ENOENT" },
    { ESRCH, "ESRCH" },
    { EINTR, "EINTR" },
    { EIO, "EIO" },
    { ENXIO, "ENXIO" },
    { E2BIG, "E2BIG" },
    { ENOEXEC, "ENOEXEC" },
    { EBADF, "EBADF" },
    { ECHILD, "ECHILD" },
    { EAGAIN, "EAGAIN" },
    { ENOMEM, "ENOMEM" },
    { EACCES, "EACCES" },
    { EFAULT, "EFAULT" },
    { ENOTBLK, "ENOTBLK" },
    { EBUSY, "EBUSY" },
    { EEXIST, "EEXIST" },
    { EXDEV, "EXDEV" },
    { ENODEV, "ENODEV" },
    { ENOTDIR, "ENOTDIR" },
    { EISDIR, "EISDIR" },
    { EINVAL, "EINVAL" },
    { ENFILE, "ENFILE" },
    { EMFILE, "EMFILE" },
    { ENOTTY, "ENOTTY" },
    { ETXTBSY, "ETXTBSY" },
    { EFBIG, "EFBIG" },
    { ENOSPC, "ENOSPC" },
    { ESPIPE, "ESPIPE" },
    { EROFS, "EROFS" },
    { EMLINK, "EMLINK" },
    { EPIPE, "EPIPE" },
    { ERANGE, "ERANGE" },
    { ENAMETOOLONG, "ENAMETOOLONG" },
    { ENOSYS, "ENOSYS" },
    { ENOTEMPTY, "ENOTEMPTY" },
    { ELOOP, "ELOOP" },
    { ENOTSOCK, "ENOTSOCK" },
    { EMSGSIZE, "EMSGSIZE" },
    { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
    { EOPNOTSUPP, "EOPNOTSUPP" },
    { EAFNOSUPPORT, "EAFNOSUPPORT" },
    { EADDRINUSE, "EADDRINUSE" },
    { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
    { ENETDOWN, "ENETDOWN" },
    { ENETUNREACH, "ENETUNREACH" },
    { ECONNRESET, "ECONNRESET" },
    { ENOBUFS, "ENOBUFS" },
    { EISCONN, "EISCONN" },
    { ENOTCONN, "ENOTCONN" },
    { ETIMEDOUT, "ETIMEDOUT" },
    { ECONNREFUSED, "ECONNREFUSED" },
    { EHOSTUNREACH, "EHOSTUNREACH" },
    { EALREADY, "EALREADY" },
    { EINPROGRESS, "EINPROGRESS" },
    { ENOMEDIUM, "ENOMEDIUM" },
    { EPROTO, "EPROTO" },
};

static const char *errno_name(int e)
{
    for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
        if (errno_names[i].value == e)
            return errno_names[i].name;
    return "EUNKNOWN";
}

JSValue limen_throw(JSContext *ctx, const char *code, int err, const char *syscall_name, const char *arg,
                    const char *text)
{
    char msg[512];
    JSValue e = JS_NewError(ctx);
    if (arg)
        snprintf(msg, sizeof msg, "%s: %s %s: %s", code, syscall_name, arg, text);
    else
        snprintf(msg, sizeof msg, "%s: %s: %s", code, syscall_name, text);
    JS_DefinePropertyValueStr(ctx, e, "message", JS_NewString(ctx, msg), JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    JS_SetPropertyStr(ctx, e, "code", JS_NewString(ctx, code));
    JS_SetPropertyStr(ctx, e, "errno", JS_NewInt32(ctx, err));
    JS_SetPropertyStr(ctx, e, "syscall", JS_NewString(ctx, syscall_name));
    if (arg)
        JS_SetPropertyStr(ctx, e, "path", JS_NewString(ctx, arg));
    return JS_Throw(ctx, e);
}

JSValue limen_throw_errno(JSContext *ctx, int err, const char *syscall_name, const char *arg)
{
    return limen_throw(ctx, errno_name(err), err, syscall_name, arg, strerror(err));
}

/* Result of a call returning -1 on failure: undefined, or the error naming `arg`. */
static JSValue check(JSContext *ctx, int r, const char *syscall_name, const char *arg)
{
    return r < 0 ? limen_throw_errno(ctx, errno, syscall_name, arg) : JS_UNDEFINED;
}

static JSValue check_fd(JSContext *ctx, int r, const char *syscall_name, const char *arg)
{
    return r < 0 ? limen_throw_errno(ctx, errno, syscall_name, arg) : JS_NewInt32(ctx, r);
}

/* Optional string argument: NULL when absent, undefined or null. */
static const char *opt_string(JSContext *ctx, int argc, JSValueConst *argv, int i)
{
    if (i >= argc || JS_IsUndefined(argv[i]) || JS_IsNull(argv[i]))
        return NULL;
    return JS_ToCString(ctx, argv[i]);
}

static int opt_int(JSContext *ctx, int argc, JSValueConst *argv, int i, int32_t dflt, int32_t *out)
{
    *out = dflt;
    if (i >= argc || JS_IsUndefined(argv[i]))
        return 0;
    return JS_ToInt32(ctx, out, argv[i]);
}

/* ---- filesystems and system state ---- */

/* mount(source, target, fstype, flags, data?) */
static JSValue n_mount(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *source = opt_string(ctx, argc, argv, 0);
    const char *target = JS_ToCString(ctx, argv[1]);
    const char *fstype = opt_string(ctx, argc, argv, 2);
    const char *data = opt_string(ctx, argc, argv, 4);
    uint32_t flags = 0;
    JSValue ret = JS_EXCEPTION;
    if (target && JS_ToUint32(ctx, &flags, argv[3]) == 0)
        ret = check(ctx, mount(source, target, fstype, flags, data), "mount", target);
    JS_FreeCString(ctx, source);
    JS_FreeCString(ctx, target);
    JS_FreeCString(ctx, fstype);
    JS_FreeCString(ctx, data);
    return ret;
}

/* umount(target, flags?) */
static JSValue n_umount(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t flags;
    const char *target = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    if (target && opt_int(ctx, argc, argv, 1, 0, &flags) == 0)
        ret = check(ctx, umount2(target, flags), "umount2", target);
    JS_FreeCString(ctx, target);
    return ret;
}

static JSValue n_chroot(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = path ? check(ctx, chroot(path), "chroot", path) : JS_EXCEPTION;
    JS_FreeCString(ctx, path);
    return ret;
}

/* pivotRoot(newRoot, putOld) */
static JSValue n_pivot_root(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *new_root = JS_ToCString(ctx, argv[0]);
    const char *put_old = JS_ToCString(ctx, argv[1]);
    JSValue ret = JS_EXCEPTION;
    if (new_root && put_old)
        ret = check(ctx, syscall(SYS_pivot_root, new_root, put_old), "pivot_root", new_root);
    JS_FreeCString(ctx, new_root);
    JS_FreeCString(ctx, put_old);
    return ret;
}

/* mknod(path, mode, major, minor): mode includes the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
static JSValue n_mknod(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mode, major_, minor_;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToUint32(ctx, &mode, argv[1]) && !JS_ToUint32(ctx, &major_, argv[2]) &&
        !JS_ToUint32(ctx, &minor_, argv[3]))
        ret = check(ctx, mknod(path, mode, makedev(major_, minor_)), "mknod", path);
    JS_FreeCString(ctx, path);
    return ret;
}

static JSValue n_chmod(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mode;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToUint32(ctx, &mode, argv[1]))
        ret = check(ctx, chmod(path, mode), "chmod", path);
    JS_FreeCString(ctx, path);
    return ret;
}

/* chown(path, uid, gid): -1 leaves that id unchanged; does not follow a final symlink. */
static JSValue n_chown(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t uid, gid;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToInt32(ctx, &uid, argv[1]) && !JS_ToInt32(ctx, &gid, argv[2]))
        ret = check(ctx, lchown(path, (uid_t)uid, (gid_t)gid), "chown", path);
    JS_FreeCString(ctx, path);
    return ret;
}

/* umask(mask): sets the mask and returns the previous one. */
static JSValue n_umask(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mask;
    if (JS_ToUint32(ctx, &mask, argv[0]))
        return JS_EXCEPTION;
    return JS_NewInt32(ctx, umask(mask & 0777));
}

static JSValue n_sethostname(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    size_t len;
    const char *name = JS_ToCStringLen(ctx, &len, argv[0]);
    JSValue ret = name ? check(ctx, sethostname(name, len), "sethostname", name) : JS_EXCEPTION;
    JS_FreeCString(ctx, name);
    return ret;
}

static JSValue n_setsid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return check_fd(ctx, setsid(), "setsid", NULL);
}

static JSValue n_sync(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    sync();
    return JS_UNDEFINED;
}

/* reboot("restart" | "halt" | "poweroff"): only returns by throwing. */
static JSValue n_reboot(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *how = JS_ToCString(ctx, argv[0]);
    int cmd;
    JSValue ret;
    if (!how)
        return JS_EXCEPTION;
    if (!strcmp(how, "restart"))
        cmd = RB_AUTOBOOT;
    else if (!strcmp(how, "halt"))
        cmd = RB_HALT_SYSTEM;
    else if (!strcmp(how, "poweroff"))
        cmd = RB_POWER_OFF;
    else {
        ret = JS_ThrowTypeError(ctx, "reboot: unknown action \"%s\" (restart, halt or poweroff)", how);
        JS_FreeCString(ctx, how);
        return ret;
    }
    ret = check(ctx, reboot(cmd), "reboot", how);
    JS_FreeCString(ctx, how);
    return ret;
}

/* ---- processes ---- */

struct spawn_req {
    char **argv;
    char **envp;
    const char *file;
    const char *cwd;
    int32_t uid, gid, umask_;
    gid_t groups[64];
    int ngroups;
    bool new_session;
    int fds[16];
    int nfds;
};

/* What a child reports through its close-on-exec pipe when it fails before exec. */
struct spawn_failure {
    int err;
    char stage[16];
};

static void child_fail(int pipe_fd, int err, const char *stage)
{
    struct spawn_failure f = { .err = err };
    strncpy(f.stage, stage, sizeof f.stage - 1);
    (void)!write(pipe_fd, &f, sizeof f);
    _exit(127);
}

static int close_range_(unsigned lo, unsigned hi)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return 0;
#endif
    return -1;
}

/* Closes every fd from `lowest` up, except `keep`. */
static void close_except(int lowest, int keep)
{
    struct rlimit rl;
    int max;
    if ((keep <= lowest || close_range_(lowest, keep - 1) == 0) && close_range_(keep + 1, ~0U) == 0)
        return;
    max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = lowest; fd < max; fd++)
        if (fd != keep)
            close(fd);
}

/* In the child: clean signal state, new session, groups then gid then uid, fds, then exec. */
static void spawn_child(const struct spawn_req *r, int pipe_fd)
{
    sigset_t all;
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    int moved[16];
    /* without an fd map the child keeps stdin, stdout and stderr */
    int lowest = r->nfds > 0 ? r->nfds : 3;

    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    if (r->new_session && setsid() < 0)
        child_fail(pipe_fd, errno, "setsid");
    if (r->gid >= 0) {
        if (setgroups(r->ngroups, r->groups) < 0)
            child_fail(pipe_fd, errno, "setgroups");
        if (setgid(r->gid) < 0)
            child_fail(pipe_fd, errno, "setgid");
    }
    if (r->uid >= 0 && setuid(r->uid) < 0)
        child_fail(pipe_fd, errno, "setuid");
    if (r->umask_ >= 0)
        umask(r->umask_);
    if (r->cwd && chdir(r->cwd) < 0)
        child_fail(pipe_fd, errno, "chdir");
    if (pipe_fd < lowest) {
        int p = fcntl(pipe_fd, F_DUPFD_CLOEXEC, lowest);
        if (p < 0)
            child_fail(pipe_fd, errno, "dup");
        pipe_fd = p;
    }
    /* Move every source fd out of the target range first, so mappings like 0<-1, 1<-0 work. */
    for (int i = 0; i < r->nfds; i++) {
        moved[i] = r->fds[i] < 0 ? -1 : fcntl(r->fds[i], F_DUPFD_CLOEXEC, lowest);
        if (r->fds[i] >= 0 && moved[i] < 0)
            child_fail(pipe_fd, errno, "dup");
    }
    for (int i = 0; i < r->nfds; i++) {
        if (moved[i] < 0)
            close(i);
        else if (dup2(moved[i], i) < 0)
            child_fail(pipe_fd, errno, "dup2");
    }
    close_except(lowest, pipe_fd);
    execvpe(r->file, r->argv, r->envp);
    child_fail(pipe_fd, errno, "exec");
}

static char **string_array(JSContext *ctx, JSValueConst arr, const char *what)
{
    int64_t len;
    char **out;
    if (!JS_IsArray(arr)) {
        JS_ThrowTypeError(ctx, "spawn: %s must be an array of strings", what);
        return NULL;
    }
    if (JS_GetLength(ctx, arr, &len) || len > 4096)
        return NULL;
    out = js_mallocz(ctx, sizeof(char *) * (len + 1));
    if (!out)
        return NULL;
    for (int64_t i = 0; i < len; i++) {
        JSValue v = JS_GetPropertyInt64(ctx, arr, i);
        const char *s = JS_IsString(v) ? JS_ToCString(ctx, v) : NULL;
        JS_FreeValue(ctx, v);
        if (!s) {
            if (!JS_HasException(ctx))
                JS_ThrowTypeError(ctx, "spawn: %s[%d] is not a string", what, (int)i);
            for (int64_t j = 0; j < i; j++)
                JS_FreeCString(ctx, out[j]);
            js_free(ctx, out);
            return NULL;
        }
        out[i] = (char *)s;
    }
    return out;
}

static void free_string_array(JSContext *ctx, char **a)
{
    if (!a)
        return;
    for (char **p = a; *p; p++)
        JS_FreeCString(ctx, *p);
    js_free(ctx, a);
}

static int get_int_option(JSContext *ctx, JSValueConst opts, const char *name, int32_t *out)
{
    JSValue v = JS_GetPropertyStr(ctx, opts, name);
    int r = JS_IsUndefined(v) ? 0 : JS_ToInt32(ctx, out, v);
    JS_FreeValue(ctx, v);
    return r;
}

/* Reads a small array of integers; -1 marks an fd to close. */
static int get_int_list(JSContext *ctx, JSValueConst opts, const char *name, int *out, int max, int *count)
{
    JSValue v = JS_GetPropertyStr(ctx, opts, name);
    int64_t len = 0;
    int r = 0;
    *count = 0;
    if (JS_IsUndefined(v))
        return 0;
    if (!JS_IsArray(v) || JS_GetLength(ctx, v, &len) || len > max) {
        JS_FreeValue(ctx, v);
        JS_ThrowRangeError(ctx, "spawn: %s must be an array of at most %d integers", name, max);
        return -1;
    }
    for (int i = 0; i < len && r == 0; i++) {
        JSValue e = JS_GetPropertyInt64(ctx, v, i);
        int32_t n;
        r = JS_ToInt32(ctx, &n, e);
        out[i] = n;
        JS_FreeValue(ctx, e);
    }
    *count = (int)len;
    JS_FreeValue(ctx, v);
    return r;
}

/*
 * spawn(argv, env, options) -> pid. options: file, cwd, uid, gid, groups, umask, newSession,
 * fds (child fd i gets a copy of fds[i]; -1 closes it; every other fd is closed).
 */
static JSValue n_spawn(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct spawn_req r = { .uid = -1, .gid = -1, .umask_ = -1 };
    JSValueConst opts = argv[2];
    JSValue v, ret = JS_EXCEPTION;
    int groups[64], pipefd[2] = { -1, -1 };
    const char *file = NULL, *cwd = NULL;
    pid_t pid;

    r.argv = string_array(ctx, argv[0], "argv");
    if (!r.argv)
        goto done;
    if (!r.argv[0]) {
        JS_ThrowTypeError(ctx, "spawn: argv is empty");
        goto done;
    }
    r.envp = string_array(ctx, argv[1], "env");
    if (!r.envp)
        goto done;
    if (!JS_IsObject(opts)) {
        JS_ThrowTypeError(ctx, "spawn: options must be an object");
        goto done;
    }
    v = JS_GetPropertyStr(ctx, opts, "file");
    file = JS_IsUndefined(v) ? NULL : JS_ToCString(ctx, v);
    JS_FreeValue(ctx, v);
    v = JS_GetPropertyStr(ctx, opts, "cwd");
    cwd = JS_IsUndefined(v) ? NULL : JS_ToCString(ctx, v);
    JS_FreeValue(ctx, v);
    v = JS_GetPropertyStr(ctx, opts, "newSession");
    r.new_session = JS_ToBool(ctx, v);
    JS_FreeValue(ctx, v);
    if (JS_HasException(ctx) || get_int_option(ctx, opts, "uid", &r.uid) || get_int_option(ctx, opts, "gid", &r.gid) ||
        get_int_option(ctx, opts, "umask", &r.umask_) || get_int_list(ctx, opts, "groups", groups, 64, &r.ngroups) ||
        get_int_list(ctx, opts, "fds", r.fds, 16, &r.nfds))
        goto done;
    for (int i = 0; i < r.ngroups; i++)
        r.groups[i] = (gid_t)groups[i];
    if (r.gid >= 0 && r.ngroups == 0) {
        r.groups[0] = (gid_t)r.gid;
        r.ngroups = 1;
    }
    r.file = file ? file : r.argv[0];
    r.cwd = cwd;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        ret = limen_throw_errno(ctx, errno, "pipe2", NULL);
        goto done;
    }
    pid = fork();
    if (pid < 0) {
        ret = limen_throw_errno(ctx, errno, "fork", r.file);
        goto done;
    }
    if (pid == 0) {
        close(pipefd[0]);
        spawn_child(&r, pipefd[1]);
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    {
        struct spawn_failure f;
        ssize_t n;
        do
            n = read(pipefd[0], &f, sizeof f);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof f) {
            char what[64];
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            f.stage[sizeof f.stage - 1] = 0;
            snprintf(what, sizeof what, "spawn(%s)", f.stage);
            ret = limen_throw_errno(ctx, f.err, what, r.file);
        } else {
            ret = JS_NewInt32(ctx, pid);
        }
    }
done:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    JS_FreeCString(ctx, file);
    JS_FreeCString(ctx, cwd);
    free_string_array(ctx, r.argv);
    free_string_array(ctx, r.envp);
    return ret;
}

/* ---- sockets ---- */

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
    return check_fd(ctx, c, "accept", NULL);
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

/* ---- inotify ---- */

static JSValue n_inotify_init(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return check_fd(ctx, inotify_init1(IN_CLOEXEC | IN_NONBLOCK), "inotify_init1", NULL);
}

/* inotifyAddWatch(fd, path, mask) -> watch descriptor */
static JSValue n_inotify_add_watch(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    uint32_t mask;
    const char *path = JS_ToCString(ctx, argv[1]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToInt32(ctx, &fd, argv[0]) && !JS_ToUint32(ctx, &mask, argv[2]))
        ret = check_fd(ctx, inotify_add_watch(fd, path, mask), "inotify_add_watch", path);
    JS_FreeCString(ctx, path);
    return ret;
}

static JSValue n_inotify_rm_watch(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, wd;
    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt32(ctx, &wd, argv[1]))
        return JS_EXCEPTION;
    return check(ctx, inotify_rm_watch(fd, wd), "inotify_rm_watch", NULL);
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

/*
 * lockFile(path) -> fd: opens path (creating it, mode 0600, close-on-exec) and waits for an
 * exclusive flock on it. Closing the fd, or the process ending, releases the lock.
 */
static JSValue n_lock_file(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    int fd, r;
    if (!path)
        return JS_EXCEPTION;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = limen_throw_errno(ctx, errno, "open", path);
    } else {
        do
            r = flock(fd, LOCK_EX);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            int e = errno;
            close(fd);
            ret = limen_throw_errno(ctx, e, "flock", path);
        } else {
            ret = JS_NewInt32(ctx, fd);
        }
    }
    JS_FreeCString(ctx, path);
    return ret;
}

/* pidfdOpen(pid) -> fd that becomes readable when the child ends (Linux >= 5.3); close-on-exec. */
static JSValue n_pidfd_open(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t pid;
    char arg[16];
    if (JS_ToInt32(ctx, &pid, argv[0]))
        return JS_EXCEPTION;
    snprintf(arg, sizeof arg, "%d", (int)pid);
    return check_fd(ctx, (int)syscall(SYS_pidfd_open, (pid_t)pid, 0), "pidfd_open", arg);
}

/* exec(argv, env): replaces this program (PATH searched without a slash); only returns by throwing. */
static JSValue n_exec(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    char **args = string_array(ctx, argv[0], "argv");
    char **envp = args ? string_array(ctx, argv[1], "env") : NULL;
    JSValue ret = JS_EXCEPTION;
    if (args && envp) {
        if (!args[0]) {
            ret = JS_ThrowTypeError(ctx, "exec: argv is empty");
        } else {
            execvpe(args[0], args, envp);
            ret = limen_throw_errno(ctx, errno, "exec", args[0]);
        }
    }
    free_string_array(ctx, args);
    free_string_array(ctx, envp);
    return ret;
}

/* loadModule(path, params?): loads a kernel module file; false when it was loaded already. */
static JSValue n_load_module(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *path = JS_ToCString(ctx, argv[0]);
    const char *params = opt_string(ctx, argc, argv, 1);
    JSValue ret = JS_EXCEPTION;
    int fd;
    if (!path)
        goto done;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = limen_throw_errno(ctx, errno, "open", path);
        goto done;
    }
    if (syscall(SYS_finit_module, fd, params ? params : "", 0) == 0)
        ret = JS_TRUE;
    else
        ret = errno == EEXIST ? JS_FALSE : limen_throw_errno(ctx, errno, "finit_module", path);
    close(fd);
done:
    JS_FreeCString(ctx, path);
    JS_FreeCString(ctx, params);
    return ret;
}

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* renameExchange(a, b): swaps two existing paths (directories too) in one step (Linux >= 3.15). */
static JSValue n_rename_exchange(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *a = JS_ToCString(ctx, argv[0]);
    const char *b = a ? JS_ToCString(ctx, argv[1]) : NULL;
    JSValue ret = JS_EXCEPTION;
    if (b)
        ret = check(ctx, (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), "renameat2", b);
    JS_FreeCString(ctx, a);
    JS_FreeCString(ctx, b);
    return ret;
}

static const JSCFunctionListEntry native_funcs[] = {
    JS_CFUNC_DEF("mount", 5, n_mount),
    JS_CFUNC_DEF("umount", 2, n_umount),
    JS_CFUNC_DEF("chroot", 1, n_chroot),
    JS_CFUNC_DEF("pivotRoot", 2, n_pivot_root),
    JS_CFUNC_DEF("mknod", 4, n_mknod),
    JS_CFUNC_DEF("chmod", 2, n_chmod),
    JS_CFUNC_DEF("chown", 3, n_chown),
    JS_CFUNC_DEF("umask", 1, n_umask),
    JS_CFUNC_DEF("sethostname", 1, n_sethostname),
    JS_CFUNC_DEF("setsid", 0, n_setsid),
    JS_CFUNC_DEF("sync", 0, n_sync),
    JS_CFUNC_DEF("reboot", 1, n_reboot),
    JS_CFUNC_DEF("spawn", 3, n_spawn),
    JS_CFUNC_DEF("unixListen", 2, n_unix_listen),
    JS_CFUNC_DEF("unixConnect", 2, n_unix_connect),
    JS_CFUNC_DEF("accept", 1, n_accept),
    JS_CFUNC_DEF("netlinkOpen", 2, n_netlink_open),
    JS_CFUNC_DEF("netlinkReceive", 2, n_netlink_receive),
    JS_CFUNC_DEF("inotifyInit", 0, n_inotify_init),
    JS_CFUNC_DEF("inotifyAddWatch", 3, n_inotify_add_watch),
    JS_CFUNC_DEF("inotifyRmWatch", 2, n_inotify_rm_watch),
    JS_CFUNC_DEF("inotifyRead", 1, n_inotify_read),
    JS_CFUNC_DEF("lockFile", 1, n_lock_file),
    JS_CFUNC_DEF("pidfdOpen", 1, n_pidfd_open),
    JS_CFUNC_DEF("exec", 2, n_exec),
    JS_CFUNC_DEF("loadModule", 2, n_load_module),
    JS_CFUNC_DEF("renameExchange", 2, n_rename_exchange),
    JS_PROP_STRING_DEF("cpu", LIMEN_CPU, 0),
    JS_PROP_INT32_DEF("MS_RDONLY", MS_RDONLY, 0),
    JS_PROP_INT32_DEF("MS_NOSUID", MS_NOSUID, 0),
    JS_PROP_INT32_DEF("MS_NODEV", MS_NODEV, 0),
    JS_PROP_INT32_DEF("MS_NOEXEC", MS_NOEXEC, 0),
    JS_PROP_INT32_DEF("MS_REMOUNT", MS_REMOUNT, 0),
    JS_PROP_INT32_DEF("MS_BIND", MS_BIND, 0),
    JS_PROP_INT32_DEF("MS_MOVE", MS_MOVE, 0),
    JS_PROP_INT32_DEF("MS_REC", MS_REC, 0),
    JS_PROP_INT32_DEF("MS_PRIVATE", MS_PRIVATE, 0),
    JS_PROP_INT32_DEF("MS_RELATIME", MS_RELATIME, 0),
    JS_PROP_INT32_DEF("MNT_FORCE", MNT_FORCE, 0),
    JS_PROP_INT32_DEF("MNT_DETACH", MNT_DETACH, 0),
    JS_PROP_INT32_DEF("S_IFCHR", S_IFCHR, 0),
    JS_PROP_INT32_DEF("S_IFBLK", S_IFBLK, 0),
    JS_PROP_INT32_DEF("S_IFIFO", S_IFIFO, 0),
    JS_PROP_INT32_DEF("O_NONBLOCK", O_NONBLOCK, 0),
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

static int native_init(JSContext *ctx, JSModuleDef *m)
{
    if (JS_SetModuleExportList(ctx, m, native_funcs, (int)(sizeof native_funcs / sizeof native_funcs[0])) ||
        JS_SetModuleExportList(ctx, m, limen_crypto_funcs, limen_crypto_count) ||
        JS_SetModuleExportList(ctx, m, limen_tcp_funcs, limen_tcp_count) ||
        JS_SetModuleExportList(ctx, m, limen_tls_funcs, limen_tls_count))
        return -1;
    return JS_SetModuleExport(ctx, m, "engineVersion", JS_NewString(ctx, JS_GetVersion()));
}

JSModuleDef *limen_init_native(JSContext *ctx, const char *name)
{
    JSModuleDef *m = limen_tls_init(ctx) ? NULL : JS_NewCModule(ctx, name, native_init);
    if (!m || JS_AddModuleExportList(ctx, m, native_funcs, (int)(sizeof native_funcs / sizeof native_funcs[0])) ||
        JS_AddModuleExportList(ctx, m, limen_crypto_funcs, limen_crypto_count) ||
        JS_AddModuleExportList(ctx, m, limen_tcp_funcs, limen_tcp_count) ||
        JS_AddModuleExportList(ctx, m, limen_tls_funcs, limen_tls_count) || JS_AddModuleExport(ctx, m, "engineVersion"))
        return NULL;
    return m;
}
