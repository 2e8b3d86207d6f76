/*
 * Processes of limen:native: spawn (with the credentials, session, umask and fd map a service
 * needs, failures before exec reported through a close-on-exec pipe), exec, setsid, pidfds and reboot.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "quickjs.h"
#include "native.h"

static JSValue n_setsid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return limen_check_fd(ctx, setsid(), "setsid", NULL);
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
    ret = limen_check(ctx, reboot(cmd), "reboot", how);
    JS_FreeCString(ctx, how);
    return ret;
}

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

/* pidfdOpen(pid) -> fd that becomes readable when the child ends (Linux >= 5.3); close-on-exec. */
static JSValue n_pidfd_open(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t pid;
    char arg[16];
    if (JS_ToInt32(ctx, &pid, argv[0]))
        return JS_EXCEPTION;
    snprintf(arg, sizeof arg, "%d", (int)pid);
    return limen_check_fd(ctx, (int)syscall(SYS_pidfd_open, (pid_t)pid, 0), "pidfd_open", arg);
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

const JSCFunctionListEntry limen_process_funcs[] = {
    JS_CFUNC_DEF("setsid", 0, n_setsid),        JS_CFUNC_DEF("reboot", 1, n_reboot), JS_CFUNC_DEF("spawn", 3, n_spawn),
    JS_CFUNC_DEF("pidfdOpen", 1, n_pidfd_open), JS_CFUNC_DEF("exec", 2, n_exec),
};
const int limen_process_count = sizeof limen_process_funcs / sizeof limen_process_funcs[0];
