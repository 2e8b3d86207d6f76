#ifndef LIMEN_NATIVE_H
#define LIMEN_NATIVE_H
#include "quickjs.h"

/* Registers the limen:native module (kernel calls qjs:os lacks) under `name`. */
JSModuleDef *limen_init_native(JSContext *ctx, const char *name);

/* Throws an Error naming the errno, the call and its argument (arg may be NULL); see native.c. */
JSValue limen_throw_errno(JSContext *ctx, int err, const char *syscall_name, const char *arg);

/* The bytes of an ArrayBuffer argument, or NULL with a TypeError naming `fn` and `what`. */
const uint8_t *limen_bytes(JSContext *ctx, JSValueConst v, size_t *len, const char *fn, const char *what);

/* Function tables of the module's other C files, exported next to native.c's own. */
extern const JSCFunctionListEntry limen_crypto_funcs[];
extern const int limen_crypto_count;

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
