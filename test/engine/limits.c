/*
 * limen:test — what only the engine test program needs from C: a time limit on
 * one call, so that the fuzzer (test/engine/fuzz.ts) stops an input that never
 * returns and names it. The engine asks the interrupt handler every few
 * thousand instructions whether to stop; past the deadline it says yes, and the
 * engine unwinds with an error JavaScript cannot catch, which callWithin
 * replaces with one it can.
 */
#include "native.h"
#include "quickjs.h"

/* Monotonic milliseconds when the call being timed must stop; 0 while none is.
 */
static int64_t deadline;
static int stopped;

static int past_deadline(JSRuntime *rt, void *opaque) {
  if (deadline == 0 || limen_deadline(0) < deadline)
    return 0;
  stopped = 1;
  return 1;
}

/* callWithin(ms, fn): fn's result, or an InternalError when fn still runs after
 * ms. */
static JSValue js_call_within(JSContext *ctx, JSValueConst this_val, int argc,
                              JSValueConst *argv) {
  int32_t ms;
  JSValue r;
  if (JS_ToInt32(ctx, &ms, argv[0]))
    return JS_EXCEPTION;
  if (ms <= 0 || !JS_IsFunction(ctx, argv[1]))
    return JS_ThrowTypeError(
        ctx, "callWithin: expected a positive number of ms and a function");
  if (deadline != 0)
    return JS_ThrowTypeError(ctx,
                             "callWithin: a timed call cannot time another");
  stopped = 0;
  deadline = limen_deadline(ms);
  r = JS_Call(ctx, argv[1], JS_UNDEFINED, 0, NULL);
  deadline = 0;
  if (JS_IsException(r) && stopped) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return JS_ThrowInternalError(ctx, "still running after %d ms: stopped", ms);
  }
  return r;
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("callWithin", 2, js_call_within),
};

static int test_init(JSContext *ctx, JSModuleDef *m) {
  return JS_SetModuleExportList(ctx, m, funcs, sizeof funcs / sizeof funcs[0]);
}

JSModuleDef *limen_init_test(JSContext *ctx, const char *name) {
  JSModuleDef *m = JS_NewCModule(ctx, name, test_init);
  if (!m ||
      JS_AddModuleExportList(ctx, m, funcs, sizeof funcs / sizeof funcs[0]))
    return NULL;
  JS_SetInterruptHandler(JS_GetRuntime(ctx), past_deadline, NULL);
  return m;
}
