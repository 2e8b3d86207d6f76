/*
 * TLS 1.2 client sessions of limen:native, on BearSSL over a connected socket from tcpConnect.
 * The server's chain is checked by BearSSL's "minimal" X.509 engine against the trust anchors of
 * a PEM CA bundle, and its name against the host given (also sent as SNI). An optional client
 * certificate chain and key (RSA or EC, PEM) answer a server's certificate request. Only what
 * this needs is configured (ECDHE with AES-GCM, RSA and ECDSA signatures, generic i31 code), so
 * the link leaves the rest of BearSSL out. Calls block, each bounded by its timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bearssl.h"
#include "quickjs.h"
#include "native.h"

/* A growable byte string: a decoded PEM object, or a distinguished name. */
struct blob {
    char name[40];
    unsigned char *data;
    size_t len, cap;
    int failed;
};

static void blob_append(void *ctx, const void *buf, size_t len)
{
    struct blob *b = ctx;
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, len);
    b->len += len;
}

struct tls_session {
    br_ssl_client_context cc;
    br_x509_minimal_context xc;
    br_sslio_context io;
    br_skey_decoder_context key;
    br_x509_trust_anchor *anchors;
    size_t nanchors;
    br_x509_certificate *chain;
    size_t nchain;
    int fd;
    int64_t deadline;
    int io_errno;
    char host[256];
    unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static JSClassID session_class;

static void session_free(struct tls_session *s)
{
    for (size_t i = 0; i < s->nanchors; i++) {
        br_x509_trust_anchor *ta = &s->anchors[i];
        free(ta->dn.data);
        free(ta->pkey.key_type == BR_KEYTYPE_RSA ? ta->pkey.key.rsa.n : ta->pkey.key.ec.q);
    }
    free(s->anchors);
    for (size_t i = 0; i < s->nchain; i++)
        free(s->chain[i].data);
    free(s->chain);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static void session_finalizer(JSRuntime *rt, JSValue val)
{
    struct tls_session *s = JS_GetOpaque(val, session_class);
    if (s)
        session_free(s);
}

/* Decodes every object of a PEM text; NULL (and *n unchanged) when it is not PEM. Caller frees. */
static struct blob *pem_objects(const char *text, size_t len, size_t *n)
{
    br_pem_decoder_context pc;
    struct blob *objs = NULL, *cur = NULL;
    size_t count = 0;
    int inside = 0, bad = 0;
    br_pem_decoder_init(&pc);
    /* the final "\n" lets the decoder see the end of a last line without one */
    for (int pass = 0; pass < 2 && !bad; pass++) {
        const char *p = pass ? "\n" : text;
        size_t left = pass ? 1 : len;
        while (left > 0 && !bad) {
            size_t k = br_pem_decoder_push(&pc, p, left);
            p += k;
            left -= k;
            switch (br_pem_decoder_event(&pc)) {
            case BR_PEM_BEGIN_OBJ:
                cur = realloc(objs, (count + 1) * sizeof *objs);
                if (!cur) {
                    bad = 1;
                    break;
                }
                objs = cur;
                cur = &objs[count++];
                memset(cur, 0, sizeof *cur);
                strncpy(cur->name, br_pem_decoder_name(&pc), sizeof cur->name - 1);
                br_pem_decoder_setdest(&pc, blob_append, cur);
                inside = 1;
                break;
            case BR_PEM_END_OBJ:
                inside = 0;
                bad = cur->failed;
                break;
            case BR_PEM_ERROR:
                bad = 1;
                break;
            }
        }
    }
    if (bad || inside) {
        for (size_t i = 0; i < count; i++)
            free(objs[i].data);
        free(objs);
        return NULL;
    }
    *n = count;
    return objs;
}

static void free_objects(struct blob *objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(objs[i].data);
    free(objs);
}

static unsigned char *copy(const unsigned char *p, size_t len)
{
    unsigned char *d = malloc(len ? len : 1);
    if (d)
        memcpy(d, p, len);
    return d;
}

/* A trust anchor from a DER certificate: its subject and public key; 0 or -1. */
static int add_anchor(struct tls_session *s, const struct blob *cert)
{
    br_x509_decoder_context dc;
    struct blob dn = { .failed = 0 };
    const br_x509_pkey *pk;
    br_x509_trust_anchor *ta = &s->anchors[s->nanchors];
    br_x509_decoder_init(&dc, blob_append, &dn);
    br_x509_decoder_push(&dc, cert->data, cert->len);
    pk = br_x509_decoder_get_pkey(&dc);
    if (!pk || dn.failed) {
        free(dn.data);
        return -1;
    }
    memset(ta, 0, sizeof *ta);
    ta->dn.data = dn.data;
    ta->dn.len = dn.len;
    ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
    ta->pkey.key_type = pk->key_type;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        /* n and e in one allocation, freed through n */
        ta->pkey.key.rsa.n = malloc(pk->key.rsa.nlen + pk->key.rsa.elen);
        if (ta->pkey.key.rsa.n) {
            memcpy(ta->pkey.key.rsa.n, pk->key.rsa.n, pk->key.rsa.nlen);
            ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
            ta->pkey.key.rsa.e = ta->pkey.key.rsa.n + pk->key.rsa.nlen;
            memcpy(ta->pkey.key.rsa.e, pk->key.rsa.e, pk->key.rsa.elen);
            ta->pkey.key.rsa.elen = pk->key.rsa.elen;
        }
    } else {
        ta->pkey.key.ec.curve = pk->key.ec.curve;
        ta->pkey.key.ec.q = copy(pk->key.ec.q, pk->key.ec.qlen);
        ta->pkey.key.ec.qlen = pk->key.ec.qlen;
    }
    s->nanchors++;
    return (pk->key_type == BR_KEYTYPE_RSA ? ta->pkey.key.rsa.n != NULL : ta->pkey.key.ec.q != NULL) ? 0 : -1;
}

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_session *s = ctx;
    for (;;) {
        ssize_t n;
        if (limen_wait_fd(s->fd, POLLIN, s->deadline) < 0)
            break;
        n = read(s->fd, buf, len);
        if (n > 0)
            return (int)n;
        if (n == 0) {
            errno = ECONNRESET;
            break;
        }
        if (errno != EAGAIN && errno != EINTR)
            break;
    }
    s->io_errno = errno;
    return -1;
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
    struct tls_session *s = ctx;
    for (;;) {
        ssize_t n;
        if (limen_wait_fd(s->fd, POLLOUT, s->deadline) < 0)
            break;
        n = send(s->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0)
            return (int)n;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
    }
    s->io_errno = errno;
    return -1;
}

static const char *tls_error_text(int err)
{
    switch (err) {
    case BR_ERR_X509_NOT_TRUSTED:
        return "the server's certificate is not signed by the CA bundle";
    case BR_ERR_X509_BAD_SERVER_NAME:
        return "the server's certificate is not for this host name";
    case BR_ERR_X509_EXPIRED:
        return "the server's certificate is expired or not yet valid";
    case BR_ERR_X509_TIME_UNKNOWN:
        return "the clock is unset, so certificate dates cannot be checked";
    case BR_ERR_X509_NOT_CA:
        return "a certificate in the server's chain is not a CA";
    case BR_ERR_X509_EMPTY_CHAIN:
        return "the server sent no certificate";
    case BR_ERR_BAD_CIPHER_SUITE:
        return "no cipher suite in common (TLS 1.2 ECDHE with AES-GCM is supported)";
    case BR_ERR_UNSUPPORTED_VERSION:
        return "the server does not speak TLS 1.2";
    case BR_ERR_NO_CLIENT_AUTH:
        return "the server asked for a client certificate that was not given";
    }
    if (err >= BR_ERR_SEND_FATAL_ALERT)
        return "sent a fatal alert";
    if (err >= BR_ERR_RECV_FATAL_ALERT)
        return err == BR_ERR_RECV_FATAL_ALERT + 42 || err == BR_ERR_RECV_FATAL_ALERT + 116
                   ? "the server refused the client certificate, or wanted one"
                   : "the server sent a fatal alert";
    return "protocol failure";
}

/* The error of a failed session operation: the socket's errno if it failed, else BearSSL's. */
static JSValue tls_fail(JSContext *ctx, struct tls_session *s, const char *what)
{
    int err = br_ssl_engine_last_error(&s->cc.eng);
    char text[200];
    if (s->io_errno && (err == BR_ERR_OK || err == BR_ERR_IO))
        return limen_throw_errno(ctx, s->io_errno, what, s->host);
    snprintf(text, sizeof text, "%s (BearSSL error %d)", tls_error_text(err), err);
    return limen_throw(ctx, "ETLS", 0, what, s->host, text);
}

static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

static void configure(struct tls_session *s)
{
    br_ssl_engine_context *eng = &s->cc.eng;
    static const br_hash_class *const hashes[] = {
        &br_sha1_vtable, &br_sha224_vtable, &br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable,
    };
    br_ssl_client_zero(&s->cc);
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
    br_x509_minimal_init(&s->xc, &br_sha256_vtable, s->anchors, s->nanchors);
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        int id = (int)(hashes[i]->desc >> BR_HASHDESC_ID_OFF) & BR_HASHDESC_ID_MASK;
        br_ssl_engine_set_hash(eng, id, hashes[i]);
        br_x509_minimal_set_hash(&s->xc, id, hashes[i]);
    }
    br_x509_minimal_set_rsa(&s->xc, br_rsa_i31_pkcs1_vrfy);
    br_x509_minimal_set_ecdsa(&s->xc, &br_ec_prime_i31, br_ecdsa_i31_vrfy_asn1);
    br_ssl_engine_set_x509(eng, &s->xc.vtable);
    br_ssl_engine_set_rsavrfy(eng, br_rsa_i31_pkcs1_vrfy);
    br_ssl_engine_set_ec(eng, &br_ec_prime_i31);
    br_ssl_engine_set_ecdsa(eng, br_ecdsa_i31_vrfy_asn1);
    br_ssl_engine_set_prf_sha256(eng, br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(eng, br_tls12_sha384_prf);
    br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
    br_ssl_engine_set_aes_ctr(eng, &br_aes_ct_ctr_vtable);
    br_ssl_engine_set_ghash(eng, br_ghash_ctmul);
    br_ssl_engine_set_buffer(eng, s->iobuf, sizeof s->iobuf, 1);
}

/* A string option: its UTF-8 text and length, NULL when absent. */
static const char *string_option(JSContext *ctx, JSValueConst opts, const char *name, size_t *len, int *failed)
{
    JSValue v = JS_GetPropertyStr(ctx, opts, name);
    const char *s = NULL;
    if (!JS_IsUndefined(v) && !JS_IsNull(v) && !(s = JS_ToCStringLen(ctx, len, v)))
        *failed = 1;
    JS_FreeValue(ctx, v);
    return s;
}

/* Client certificate chain and key from PEM; NULL, or what is wrong with them. */
static const char *set_client_auth(struct tls_session *s, const char *cert, size_t certlen, const char *key,
                                   size_t keylen)
{
    size_t n = 0, nk = 0;
    struct blob *objs = pem_objects(cert, certlen, &n), *keys;
    const char *problem = NULL;
    if (!objs)
        return "the client certificate is not PEM";
    s->chain = calloc(n ? n : 1, sizeof *s->chain);
    for (size_t i = 0; s->chain && i < n; i++) {
        if (strcmp(objs[i].name, "CERTIFICATE"))
            continue;
        s->chain[s->nchain].data = objs[i].data;
        s->chain[s->nchain++].data_len = objs[i].len;
        objs[i].data = NULL;
    }
    free_objects(objs, n);
    if (s->nchain == 0)
        return "the client certificate file holds no CERTIFICATE";
    keys = pem_objects(key, keylen, &nk);
    if (!keys || nk != 1)
        problem = "the client key is not one PEM object";
    if (!problem) {
        br_skey_decoder_init(&s->key);
        br_skey_decoder_push(&s->key, keys[0].data, keys[0].len);
        switch (br_skey_decoder_key_type(&s->key)) {
        case BR_KEYTYPE_RSA:
            br_ssl_client_set_single_rsa(&s->cc, s->chain, s->nchain, br_skey_decoder_get_rsa(&s->key),
                                         br_rsa_i31_pkcs1_sign);
            break;
        case BR_KEYTYPE_EC:
            br_ssl_client_set_single_ec(&s->cc, s->chain, s->nchain, br_skey_decoder_get_ec(&s->key), BR_KEYTYPE_SIGN,
                                        BR_KEYTYPE_EC, &br_ec_prime_i31, br_ecdsa_i31_sign_asn1);
            break;
        default:
            problem = "the client key is not an RSA or EC private key";
        }
    }
    if (keys)
        free_objects(keys, nk);
    return problem;
}

/*
 * tlsConnect(fd, host, {ca, cert?, key?}, timeoutMs) -> session, once the handshake is done.
 * Takes fd over: a failure closes it, a session closes it with tlsClose or when collected.
 */
static JSValue s_connect(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, timeout;
    size_t calen = 0, certlen = 0, keylen = 0, n = 0;
    int failed = 0, fd_taken = 0;
    const char *host = NULL, *ca = NULL, *cert = NULL, *key = NULL, *problem = NULL;
    struct blob *objs = NULL;
    struct tls_session *s = NULL;
    JSValue ret = JS_EXCEPTION, obj;

    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt32(ctx, &timeout, argv[3]) || !(host = JS_ToCString(ctx, argv[1])))
        return JS_EXCEPTION;
    if (!JS_IsObject(argv[2])) {
        ret = JS_ThrowTypeError(ctx, "tlsConnect: options must be an object");
        goto done;
    }
    ca = string_option(ctx, argv[2], "ca", &calen, &failed);
    cert = string_option(ctx, argv[2], "cert", &certlen, &failed);
    key = string_option(ctx, argv[2], "key", &keylen, &failed);
    if (failed)
        goto done;
    if (!ca || (!cert) != (!key) || strlen(host) >= sizeof s->host) {
        ret = JS_ThrowTypeError(
            ctx,
            "tlsConnect %s: needs a CA bundle, a client key with a client certificate, and a host name under 256 bytes",
            host);
        goto done;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        ret = JS_ThrowOutOfMemory(ctx);
        goto done;
    }
    s->fd = fd;
    fd_taken = 1;
    strcpy(s->host, host);
    objs = pem_objects(ca, calen, &n);
    s->anchors = calloc(n ? n : 1, sizeof *s->anchors);
    for (size_t i = 0; objs && s->anchors && i < n && !problem; i++)
        if (!strcmp(objs[i].name, "CERTIFICATE") && add_anchor(s, &objs[i]) < 0)
            problem = "a certificate of the CA bundle cannot be decoded";
    if (!problem && s->nanchors == 0)
        problem = "the CA bundle holds no PEM CERTIFICATE";
    if (!problem) {
        configure(s);
        if (cert)
            problem = set_client_auth(s, cert, certlen, key, keylen);
    }
    if (problem) {
        ret = limen_throw(ctx, "EINVAL", EINVAL, "tlsConnect", host, problem);
        goto done;
    }
    s->deadline = limen_deadline(timeout);
    if (!br_ssl_client_reset(&s->cc, host, 0)) {
        ret = tls_fail(ctx, s, "tls");
        goto done;
    }
    br_sslio_init(&s->io, &s->cc.eng, sock_read, s, sock_write, s);
    if (br_sslio_flush(&s->io) < 0) {
        ret = tls_fail(ctx, s, "tls");
        goto done;
    }
    obj = JS_NewObjectClass(ctx, session_class);
    if (JS_IsException(obj))
        goto done;
    JS_SetOpaque(obj, s);
    s = NULL;
    ret = obj;
done:
    if (objs)
        free_objects(objs, n);
    if (s)
        session_free(s);
    else if (!fd_taken)
        close(fd);
    JS_FreeCString(ctx, host);
    JS_FreeCString(ctx, ca);
    JS_FreeCString(ctx, cert);
    JS_FreeCString(ctx, key);
    return ret;
}

static struct tls_session *session_of(JSContext *ctx, JSValueConst v, const char *fn)
{
    struct tls_session *s = JS_GetOpaque(v, session_class);
    if (!s)
        JS_ThrowTypeError(ctx, "%s: not an open TLS session", fn);
    return s;
}

/* tlsWrite(session, data, timeoutMs): sends all of data. */
static JSValue s_write(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct tls_session *s = session_of(ctx, argv[0], "tlsWrite");
    const uint8_t *data;
    size_t len;
    int32_t timeout;
    if (!s || !(data = limen_bytes(ctx, argv[1], &len, "tlsWrite", "data")) || JS_ToInt32(ctx, &timeout, argv[2]))
        return JS_EXCEPTION;
    s->deadline = limen_deadline(timeout);
    s->io_errno = 0;
    if (br_sslio_write_all(&s->io, data, len) < 0 || br_sslio_flush(&s->io) < 0)
        return tls_fail(ctx, s, "write");
    return JS_UNDEFINED;
}

/* tlsRead(session, max, timeoutMs) -> up to max bytes; empty when the server closed the session. */
static JSValue s_read(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct tls_session *s = session_of(ctx, argv[0], "tlsRead");
    uint8_t buf[16384];
    int32_t max, timeout;
    int n;
    if (!s || JS_ToInt32(ctx, &max, argv[1]) || JS_ToInt32(ctx, &timeout, argv[2]))
        return JS_EXCEPTION;
    if (max < 1 || max > (int32_t)sizeof buf)
        return JS_ThrowRangeError(ctx, "tlsRead: max must be 1 to %u", (unsigned)sizeof buf);
    s->deadline = limen_deadline(timeout);
    s->io_errno = 0;
    n = br_sslio_read(&s->io, buf, max);
    if (n >= 0)
        return JS_NewArrayBufferCopy(ctx, buf, n);
    /* a close_notify, or a server that just closes after its response (HTTP/1.0 style) */
    if (br_ssl_engine_current_state(&s->cc.eng) == BR_SSL_CLOSED &&
        (br_ssl_engine_last_error(&s->cc.eng) == BR_ERR_OK || s->io_errno == ECONNRESET))
        return JS_NewArrayBufferCopy(ctx, buf, 0);
    return tls_fail(ctx, s, "read");
}

/* tlsClose(session): ends the session and closes its socket; a second call does nothing. */
static JSValue s_close(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct tls_session *s = JS_GetOpaque(argv[0], session_class);
    if (s) {
        /* close_notify is a courtesy: a peer that is gone must not delay the close */
        s->deadline = limen_deadline(1000);
        br_ssl_engine_close(&s->cc.eng);
        br_sslio_flush(&s->io);
        JS_SetOpaque(argv[0], NULL);
        session_free(s);
    }
    return JS_UNDEFINED;
}

const JSCFunctionListEntry limen_tls_funcs[] = {
    JS_CFUNC_DEF("tlsConnect", 4, s_connect),
    JS_CFUNC_DEF("tlsWrite", 3, s_write),
    JS_CFUNC_DEF("tlsRead", 3, s_read),
    JS_CFUNC_DEF("tlsClose", 1, s_close),
};
const int limen_tls_count = sizeof limen_tls_funcs / sizeof limen_tls_funcs[0];

int limen_tls_init(JSContext *ctx)
{
    static const JSClassDef def = { .class_name = "TlsSession", .finalizer = session_finalizer };
    JSRuntime *rt = JS_GetRuntime(ctx);
    if (!session_class)
        JS_NewClassID(rt, &session_class);
    return JS_IsRegisteredClass(rt, session_class) ? 0 : JS_NewClass(rt, session_class, &def);
}
