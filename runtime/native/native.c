/*
 * limen:native — the kernel calls a router's init and service manager need that qjs:os lacks.
 * Every failure throws an Error whose message starts with the errno name and names the call and
 * its argument; the error also carries `code`, `errno`, `syscall` and `path` properties.
 *
 * This file defines the module and the error helpers; each domain's calls are in their own file
 * (process.c, filesystem.c, events.c, crypto.c, tcp.c, tls.c), which exports a function table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
JSValue limen_check(JSContext *ctx, int r, const char *syscall_name, const char *arg)
{
    return r < 0 ? limen_throw_errno(ctx, errno, syscall_name, arg) : JS_UNDEFINED;
}

JSValue limen_check_fd(JSContext *ctx, int r, const char *syscall_name, const char *arg)
{
    return r < 0 ? limen_throw_errno(ctx, errno, syscall_name, arg) : JS_NewInt32(ctx, r);
}

static const JSCFunctionListEntry native_funcs[] = {
    JS_PROP_STRING_DEF("cpu", LIMEN_CPU, 0),
};
static const int native_count = sizeof native_funcs / sizeof native_funcs[0];

/* Every function table of the module, each with its length. */
static const struct {
    const JSCFunctionListEntry *funcs;
    const int *count;
} tables[] = {
    { native_funcs, &native_count },
    { limen_process_funcs, &limen_process_count },
    { limen_filesystem_funcs, &limen_filesystem_count },
    { limen_events_funcs, &limen_events_count },
    { limen_crypto_funcs, &limen_crypto_count },
    { limen_tcp_funcs, &limen_tcp_count },
    { limen_tls_funcs, &limen_tls_count },
};

static int native_init(JSContext *ctx, JSModuleDef *m)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (JS_SetModuleExportList(ctx, m, tables[i].funcs, *tables[i].count))
            return -1;
    return JS_SetModuleExport(ctx, m, "engineVersion", JS_NewString(ctx, JS_GetVersion()));
}

JSModuleDef *limen_init_native(JSContext *ctx, const char *name)
{
    JSModuleDef *m = limen_tls_init(ctx) ? NULL : JS_NewCModule(ctx, name, native_init);
    if (!m)
        return NULL;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (JS_AddModuleExportList(ctx, m, tables[i].funcs, *tables[i].count))
            return NULL;
    return JS_AddModuleExport(ctx, m, "engineVersion") ? NULL : m;
}
