/*
 * Crypto primitives of limen:native, from BearSSL: what JOSE (Clevis/Tang) and the secrets
 * services need on the device. Byte strings are ArrayBuffers in and out.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "bearssl.h"
#include "quickjs.h"
#include "native.h"

/* The bytes of an ArrayBuffer argument; NULL with a TypeError naming `fn` and `what` otherwise. */
const uint8_t *limen_bytes(JSContext *ctx, JSValueConst v, size_t *len, const char *fn, const char *what)
{
    static const uint8_t empty[1];
    const uint8_t *p;
    if (!JS_IsArrayBuffer(v)) {
        JS_ThrowTypeError(ctx, "%s: %s must be an ArrayBuffer", fn, what);
        return NULL;
    }
    p = JS_GetArrayBuffer(ctx, len, v);
    if (!p && JS_HasException(ctx))
        return NULL;
    return p ? p : empty;
}

/* sha256(data) -> 32-byte digest */
static JSValue c_sha256(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    br_sha256_context h;
    uint8_t out[br_sha256_SIZE];
    size_t len;
    const uint8_t *data = limen_bytes(ctx, argv[0], &len, "sha256", "data");
    if (!data)
        return JS_EXCEPTION;
    br_sha256_init(&h);
    br_sha256_update(&h, data, len);
    br_sha256_out(&h, out);
    return JS_NewArrayBufferCopy(ctx, out, sizeof out);
}

static int curve_id(const char *name)
{
    if (!strcmp(name, "P-256"))
        return BR_EC_secp256r1;
    if (!strcmp(name, "P-384"))
        return BR_EC_secp384r1;
    if (!strcmp(name, "P-521"))
        return BR_EC_secp521r1;
    return -1;
}

/* 0 < k < order, both unsigned big-endian (k may carry leading zeros). */
static int scalar_in_range(const uint8_t *k, size_t klen, const uint8_t *order, size_t olen)
{
    while (klen > 0 && *k == 0)
        k++, klen--;
    if (klen == 0 || klen > olen)
        return 0;
    if (klen < olen)
        return 1;
    return memcmp(k, order, olen) < 0;
}

/*
 * ecMulAdd(curve, a, b, x, y) -> x*a + y*b as an uncompressed point; b null means the generator.
 * Invalid points, scalars outside 1..order-1 and a result at infinity throw.
 */
static JSValue c_ec_mul_add(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const br_ec_impl *ec = &br_ec_prime_i31;
    const char *name = JS_ToCString(ctx, argv[0]);
    const uint8_t *a, *b = NULL, *x, *y, *order;
    size_t alen, blen = 0, xlen, ylen, olen, glen;
    uint8_t point[133]; /* uncompressed P-521 */
    int curve;
    JSValue ret = JS_EXCEPTION;

    if (!name)
        return JS_EXCEPTION;
    curve = curve_id(name);
    if (curve < 0) {
        ret = JS_ThrowRangeError(ctx, "ecMulAdd: unknown curve \"%s\" (P-256, P-384 or P-521)", name);
        goto done;
    }
    a = limen_bytes(ctx, argv[1], &alen, "ecMulAdd", "a");
    if (!a || (!JS_IsNull(argv[2]) && !(b = limen_bytes(ctx, argv[2], &blen, "ecMulAdd", "b"))))
        goto done;
    x = limen_bytes(ctx, argv[3], &xlen, "ecMulAdd", "x");
    y = x ? limen_bytes(ctx, argv[4], &ylen, "ecMulAdd", "y") : NULL;
    if (!y)
        goto done;
    ec->generator(curve, &glen);
    order = ec->order(curve, &olen);
    if (alen != glen || (b && blen != glen) || alen > sizeof point) {
        ret = JS_ThrowRangeError(ctx, "ecMulAdd: %s points are %u bytes uncompressed, got %u%s%u", name, (unsigned)glen,
                                 (unsigned)alen, b ? " and " : "", b ? (unsigned)blen : 0);
        goto done;
    }
    if (!scalar_in_range(x, xlen, order, olen) || !scalar_in_range(y, ylen, order, olen)) {
        ret = JS_ThrowRangeError(ctx, "ecMulAdd: a multiplier is 0 or not below the order of %s", name);
        goto done;
    }
    memcpy(point, a, alen);
    if (!ec->muladd(point, b, alen, x, xlen, y, ylen, curve)) {
        ret = JS_ThrowRangeError(ctx, "ecMulAdd: a point is not on %s, or the sum is the point at infinity", name);
        goto done;
    }
    ret = JS_NewArrayBufferCopy(ctx, point, alen);
done:
    JS_FreeCString(ctx, name);
    return ret;
}

/* aesGcmDecrypt(key, iv, aad, ciphertext, tag) -> plaintext, or null when the tag does not match */
static JSValue c_aes_gcm_decrypt(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    static const char *names[] = { "key", "iv", "aad", "ciphertext", "tag" };
    const uint8_t *in[5];
    size_t len[5];
    br_aes_ct_ctr_keys aes;
    br_gcm_context gcm;
    uint8_t *plain;
    JSValue ret;

    for (int i = 0; i < 5; i++)
        if (!(in[i] = limen_bytes(ctx, argv[i], &len[i], "aesGcmDecrypt", names[i])))
            return JS_EXCEPTION;
    if (len[0] != 16 && len[0] != 24 && len[0] != 32)
        return JS_ThrowRangeError(ctx, "aesGcmDecrypt: key is %u bytes (16, 24 or 32)", (unsigned)len[0]);
    if (len[1] == 0)
        return JS_ThrowRangeError(ctx, "aesGcmDecrypt: iv is empty");
    if (len[4] < 12 || len[4] > 16)
        return JS_ThrowRangeError(ctx, "aesGcmDecrypt: tag is %u bytes (12 to 16)", (unsigned)len[4]);
    plain = js_malloc(ctx, len[3] ? len[3] : 1);
    if (!plain)
        return JS_EXCEPTION;
    memcpy(plain, in[3], len[3]);
    br_aes_ct_ctr_init(&aes, in[0], len[0]);
    br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul);
    br_gcm_reset(&gcm, in[1], len[1]);
    br_gcm_aad_inject(&gcm, in[2], len[2]);
    br_gcm_flip(&gcm);
    br_gcm_run(&gcm, 0, plain, len[3]);
    ret = br_gcm_check_tag_trunc(&gcm, in[4], len[4]) ? JS_NewArrayBufferCopy(ctx, plain, len[3]) : JS_NULL;
    js_free(ctx, plain);
    return ret;
}

/* randomBytes(n) -> n bytes from the kernel's random pool */
static JSValue c_random_bytes(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t n;
    uint8_t buf[1024];
    if (JS_ToInt32(ctx, &n, argv[0]))
        return JS_EXCEPTION;
    if (n < 0 || n > (int32_t)sizeof buf)
        return JS_ThrowRangeError(ctx, "randomBytes: %d bytes asked, 0 to %u allowed", (int)n, (unsigned)sizeof buf);
    for (int32_t got = 0; got < n;) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0)
            return limen_throw_errno(ctx, errno, "getrandom", NULL);
        got += r;
    }
    return JS_NewArrayBufferCopy(ctx, buf, n);
}

const JSCFunctionListEntry limen_crypto_funcs[] = {
    JS_CFUNC_DEF("sha256", 1, c_sha256),
    JS_CFUNC_DEF("ecMulAdd", 5, c_ec_mul_add),
    JS_CFUNC_DEF("aesGcmDecrypt", 5, c_aes_gcm_decrypt),
    JS_CFUNC_DEF("randomBytes", 1, c_random_bytes),
};
const int limen_crypto_count = sizeof limen_crypto_funcs / sizeof limen_crypto_funcs[0];
