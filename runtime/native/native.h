#ifndef LIMEN_NATIVE_H
#define LIMEN_NATIVE_H
#include "quickjs.h"

/* Registers the limen:native module (kernel calls qjs:os lacks) under `name`. */
JSModuleDef *limen_init_native(JSContext *ctx, const char *name);

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
