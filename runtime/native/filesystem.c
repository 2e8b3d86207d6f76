/*
 * Filesystems and system state of limen:native: mounts, the root switch, device nodes, modes and
 * owners, the lock svc serialises on, kernel modules, the hostname and an atomic swap of two paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "quickjs.h"
#include "native.h"

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
        ret = limen_check(ctx, mount(source, target, fstype, flags, data), "mount", target);
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
        ret = limen_check(ctx, umount2(target, flags), "umount2", target);
    JS_FreeCString(ctx, target);
    return ret;
}

static JSValue n_chroot(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = path ? limen_check(ctx, chroot(path), "chroot", path) : JS_EXCEPTION;
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
        ret = limen_check(ctx, syscall(SYS_pivot_root, new_root, put_old), "pivot_root", new_root);
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
        ret = limen_check(ctx, mknod(path, mode, makedev(major_, minor_)), "mknod", path);
    JS_FreeCString(ctx, path);
    return ret;
}

static JSValue n_chmod(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mode;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_EXCEPTION;
    if (path && !JS_ToUint32(ctx, &mode, argv[1]))
        ret = limen_check(ctx, chmod(path, mode), "chmod", path);
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
        ret = limen_check(ctx, lchown(path, (uid_t)uid, (gid_t)gid), "chown", path);
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
    JSValue ret = name ? limen_check(ctx, sethostname(name, len), "sethostname", name) : JS_EXCEPTION;
    JS_FreeCString(ctx, name);
    return ret;
}

static JSValue n_sync(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    sync();
    return JS_UNDEFINED;
}

/*
 * lockFile(path, wait = true) -> fd: opens path (creating it, mode 0600, close-on-exec) and takes
 * an exclusive flock on it, waiting for it unless wait is false: then -1 when another holds it.
 * Closing the fd, or the process ending, releases the lock.
 */
static JSValue n_lock_file(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *path = JS_ToCString(ctx, argv[0]);
    int wait = argc < 2 || JS_IsUndefined(argv[1]) || JS_ToBool(ctx, argv[1]);
    JSValue ret = JS_EXCEPTION;
    int fd, r;
    if (!path)
        return JS_EXCEPTION;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = limen_throw_errno(ctx, errno, "open", path);
    } else {
        do
            r = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
        while (r < 0 && errno == EINTR);
        if (r < 0 && errno == EWOULDBLOCK && !wait) {
            close(fd);
            ret = JS_NewInt32(ctx, -1);
        } else if (r < 0) {
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
        ret = limen_check(ctx, (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), "renameat2", b);
    JS_FreeCString(ctx, a);
    JS_FreeCString(ctx, b);
    return ret;
}

const JSCFunctionListEntry limen_filesystem_funcs[] = {
    JS_CFUNC_DEF("mount", 5, n_mount),
    JS_CFUNC_DEF("umount", 2, n_umount),
    JS_CFUNC_DEF("chroot", 1, n_chroot),
    JS_CFUNC_DEF("pivotRoot", 2, n_pivot_root),
    JS_CFUNC_DEF("mknod", 4, n_mknod),
    JS_CFUNC_DEF("chmod", 2, n_chmod),
    JS_CFUNC_DEF("chown", 3, n_chown),
    JS_CFUNC_DEF("umask", 1, n_umask),
    JS_CFUNC_DEF("sethostname", 1, n_sethostname),
    JS_CFUNC_DEF("sync", 0, n_sync),
    JS_CFUNC_DEF("lockFile", 2, n_lock_file),
    JS_CFUNC_DEF("loadModule", 2, n_load_module),
    JS_CFUNC_DEF("renameExchange", 2, n_rename_exchange),
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
};
const int limen_filesystem_count = sizeof limen_filesystem_funcs / sizeof limen_filesystem_funcs[0];
