/*
 * The limen executable: a QuickJS-ng runtime whose program is the bundle's bytecode, linked in.
 * Modules load lazily: only the entry module is read at start, the others when first imported,
 * so a command's start-up cost does not grow with the rest of the program.
 */
#include <stdio.h>
#include <string.h>

#include "quickjs.h"
#include "quickjs-libc.h"
#include "native.h"

#ifdef LIMEN_TEST_PROGRAM
/* limen:test, the engine test program's own calls (test/engine/limits.c). */
JSModuleDef *limen_init_test(JSContext *ctx, const char *name);
#endif

static JSModuleDef *load_embedded(JSContext *ctx, const char *name, void *opaque)
{
    for (unsigned i = 0; i < limen_module_count; i++) {
        const struct limen_module *m = &limen_modules[i];
        JSValue obj;
        if (strcmp(m->name, name))
            continue;
        obj = JS_ReadObject(ctx, m->bytecode, m->size, JS_READ_OBJ_BYTECODE);
        if (JS_IsException(obj))
            return NULL;
        /* the module stays referenced by the runtime's module list */
        JS_FreeValue(ctx, obj);
        return JS_VALUE_GET_PTR(obj);
    }
    JS_ThrowReferenceError(ctx, "module \"%s\" is not part of this program", name);
    return NULL;
}

int main(int argc, char **argv)
{
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx;
    JSValue entry, result;

    if (!rt || !(ctx = JS_NewContext(rt))) {
        fputs("limen: cannot create the JavaScript runtime\n", stderr);
        return 70;
    }
    js_std_init_handlers(rt);
    JS_SetModuleLoaderFunc(rt, NULL, load_embedded, NULL);
    JS_SetHostPromiseRejectionTracker(rt, js_std_promise_rejection_tracker, NULL);
    js_std_add_helpers(ctx, argc, argv);
    if (!js_init_module_std(ctx, "qjs:std") || !js_init_module_os(ctx, "qjs:os") ||
        !limen_init_native(ctx, "limen:native")
#ifdef LIMEN_TEST_PROGRAM
        || !limen_init_test(ctx, "limen:test")
#endif
    ) {
        js_std_dump_error(ctx);
        return 70;
    }
    entry = JS_ReadObject(ctx, limen_modules[0].bytecode, limen_modules[0].size, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(entry) || JS_ResolveModule(ctx, entry) < 0) {
        js_std_dump_error(ctx);
        return 70;
    }
    result = JS_EvalFunction(ctx, entry);
    if (JS_IsException(result)) {
        js_std_dump_error(ctx);
        return 1;
    }
    /*
     * The entry module awaits at top level. js_std_await would run one promise job per turn and
     * then block in poll, stalling a chain of reactions until some unrelated event; js_std_loop
     * runs every pending job before each poll. It returns when nothing is left to wait for.
     */
    if (js_std_loop(ctx)) {
        js_std_dump_error(ctx);
        return 1;
    }
    if (JS_PromiseState(ctx, result) == JS_PROMISE_REJECTED) {
        JS_Throw(ctx, JS_PromiseResult(ctx, result));
        js_std_dump_error(ctx);
        return 1;
    }
    JS_FreeValue(ctx, result);
    return 0;
}
