#ifndef LIMEN_NATIVE_H
#define LIMEN_NATIVE_H
#include "quickjs.h"

/* Registers the limen:native module (kernel calls qjs:os lacks) under `name`. */
JSModuleDef *limen_init_native(JSContext *ctx, const char *name);

/* Throws an Error "CODE: call arg: text" carrying code, errno, syscall and path (arg may be NULL). */
JSValue limen_throw(JSContext *ctx, const char *code, int err, const char *syscall_name, const char *arg,
                    const char *text);

/* Throws an Error naming the errno, the call and its argument (arg may be NULL); see native.c. */
JSValue limen_throw_errno(JSContext *ctx, int err, const char *syscall_name, const char *arg);

/* The result of a call returning -1 (with errno) on failure: undefined, or that error thrown. */
JSValue limen_check(JSContext *ctx, int r, const char *syscall_name, const char *arg);

/* The same for a call returning an fd or other number: that number, or the error thrown. */
JSValue limen_check_fd(JSContext *ctx, int r, const char *syscall_name, const char *arg);

/* The bytes of an ArrayBuffer argument, or NULL with a TypeError naming `fn` and `what`. */
const uint8_t *limen_bytes(JSContext *ctx, JSValueConst v, size_t *len, const char *fn, const char *what);

/* Monotonic milliseconds `timeout_ms` from now (0: now). */
int64_t limen_deadline(int32_t timeout_ms);

/* Waits until fd is ready for `events` (poll) or the deadline passes: 0, or -1 with errno (ETIMEDOUT). */
int limen_wait_fd(int fd, short events, int64_t deadline);

/* Function tables of the module's C files, one per domain, which native.c exports together. */
extern const JSCFunctionListEntry limen_process_funcs[];
extern const int limen_process_count;
extern const JSCFunctionListEntry limen_filesystem_funcs[];
extern const int limen_filesystem_count;
extern const JSCFunctionListEntry limen_events_funcs[];
extern const int limen_events_count;
extern const JSCFunctionListEntry limen_crypto_funcs[];
extern const int limen_crypto_count;
extern const JSCFunctionListEntry limen_tcp_funcs[];
extern const int limen_tcp_count;
extern const JSCFunctionListEntry limen_tls_funcs[];
extern const int limen_tls_count;
/* Registers the TLS session class in the context's runtime; 0 or -1. */
int limen_tls_init(JSContext *ctx);

/* One module of the bundle, compiled to bytecode for this CPU's byte order. */
struct limen_module {
    const char *name;
    const uint8_t *bytecode;
    uint32_t size;
};

/* The bundle's modules, generated at build time; the first is the entry point. */
extern const struct limen_module limen_modules[];
extern const unsigned limen_module_count;

#endif
