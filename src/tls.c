#include "tls.h"

#include <string.h>
#include <time.h>

#include "mbedtls/asn1.h"
#include "mbedtls/base64.h"
#include "mbedtls/entropy.h" /* MBEDTLS_ERR_ENTROPY_SOURCE_FAILED only: no entropy module */
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"
#include "mbedtls/x509_crt.h"
#include "port.h"
#include "psa/crypto.h"
#include "sign.h"

#include "ecs_anchors.h" /* generated: tls_anchors[] (third_party/gen_anchors.sh) */
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#include "mbedtls/memory_buffer_alloc.h"
#endif

#ifndef ECS_BUILD_TIME
#define ECS_BUILD_TIME 1767225600 /* set by mk/build.mk from the source date */
#endif

/* Process-wide TLS state (the port and main.c aside, the only mutable globals: mbedTLS needs
 * one configuration per process). */
static struct {
	int done;
	ecs_status status;
	mbedtls_ssl_config conf;
	tls_trust trust;
	int clock_untrusted;
	char trust_fail[256]; /* why the trust anchors could not be read during a lookup */
} G;

#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
/* Mapped for the run (port_mem_resize): a process that never sets up TLS (--version,
 * --dry-run) has none, and its size follows the number of connections. */
static unsigned char *pool;
#define POOL_FILL 0xA5
static int pool_measured;
#endif
static size_t pool_used = ECS_TLS_POOL_BASE + ECS_TLS_POOL_PER_CONN;

size_t tls_pool_size(void)
{
	return pool_used;
}

void tls_set_connections(unsigned k)
{
	if (k < 1)
		k = 1;
	if (k > 16)
		k = 16;
	pool_used = ECS_TLS_POOL_BASE + (size_t)k * ECS_TLS_POOL_PER_CONN;
}

size_t tls_pool_high_water(void)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
	size_t i = pool_used;
	if (!pool_measured || pool == NULL)
		return 0;
	while (i > 0 && pool[i - 1] == POOL_FILL)
		i--;
	return i;
#else
	return 0;
#endif
}

int tls_clock_untrusted(void)
{
	return G.clock_untrusted;
}

/* Certificate validity needs broken-down UTC time; the signer's formatter already does the
 * calendar arithmetic, so read its fields back instead of linking libc's time zone code. */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
	char s[21];
	int v[6], k, i;
	static const int at[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};

	sign_format_time((int64_t)*tt, s);
	for (k = 0; k < 6; k++)
		for (v[k] = 0, i = 0; i < len[k]; i++)
			v[k] = v[k] * 10 + (s[at[k] + i] - '0');
	memset(tm_buf, 0, sizeof(*tm_buf));
	tm_buf->tm_year = v[0] - 1900;
	tm_buf->tm_mon = v[1] - 1;
	tm_buf->tm_mday = v[2];
	tm_buf->tm_hour = v[3];
	tm_buf->tm_min = v[4];
	tm_buf->tm_sec = v[5];
	return tm_buf;
}

/* ---- Trust anchors ---- */

static const char *const BUNDLES[] = {
	"/etc/ssl/certs/ca-certificates.crt",		     /* Debian, Ubuntu, Arch, OpenWrt */
	"/etc/pki/tls/certs/ca-bundle.crt",		     /* Fedora, RHEL, CentOS */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
	"/etc/ssl/ca-bundle.pem",			     /* openSUSE, SLES */
	"/etc/ssl/cert.pem",				     /* Alpine, macOS, OpenBSD */
	"/usr/local/share/certs/ca-root-nss.crt",	     /* FreeBSD */
	"/etc/certs/ca-certificates.crt",		     /* some appliances */
};
static const char *const DIRS[] = {
	"/etc/ssl/certs", /* OpenWrt ca-certificates: one *.crt per CA */
	"/etc/pki/tls/certs", "/system/etc/security/cacerts", /* Android */
};

static ecs_status set_trust(tls_trust *t, const char *path, int is_dir, const char *origin,
			    ecs_err *err)
{
	if (strlen(path) >= sizeof(t->path))
		return err_set(err, ECS_E_INPUT, "%s: path longer than %u bytes", origin,
			       (unsigned)sizeof(t->path) - 1);
	strcpy(t->path, path);
	t->is_dir = is_dir;
	snprintf(t->origin, sizeof(t->origin), "%s", origin);
	return ECS_OK;
}

static int cert_name(const char *n);

static int has_cert_entry(const char *name, void *ctx)
{
	(void)ctx;
	return cert_name(name);
}

/* name (a flag or variable) = path: usable as a file or (dir_ok) a directory, or an error
 * that says what is wrong with it. */
static ecs_status probe(tls_trust *t, const char *name, const char *sep, const char *path,
			int dir_ok, ecs_err *err)
{
	char why[160];
	port_status ps = port_probe_path(path, why, sizeof(why));

	if (ps == PORT_OK || (ps == PORT_E_ISDIR && dir_ok))
		return set_trust(t, path, ps == PORT_E_ISDIR, name, err);
	if (ps == PORT_E_ISDIR)
		snprintf(why, sizeof(why), "is a directory (use SSL_CERT_DIR for one)");
	return err_set(err, ECS_E_INPUT, "%s%s%s: %s", name, sep, path, why);
}

ecs_status tls_find_trust(const char *explicit_path, tls_trust *t, ecs_err *err)
{
	const char *env;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (explicit_path != NULL)
		return probe(t, "--ca-file", " ", explicit_path, 1, err);
	env = port_getenv("SSL_CERT_FILE");
	if (env != NULL && env[0] != '\0')
		return probe(t, "SSL_CERT_FILE", "=", env, 0, err);
	env = port_getenv("SSL_CERT_DIR");
	if (env != NULL && env[0] != '\0') {
		if (port_is_dir(env))
			return probe(t, "SSL_CERT_DIR", "=", env, 1, err);
		return err_set(err, ECS_E_INPUT, "SSL_CERT_DIR=%s: no such directory", env);
	}
	for (i = 0; i < sizeof(BUNDLES) / sizeof(BUNDLES[0]); i++)
		if (port_is_file(BUNDLES[i]))
			return set_trust(t, BUNDLES[i], 0, "system bundle", err);
	for (i = 0; i < sizeof(DIRS) / sizeof(DIRS[0]); i++) /* an empty one does not count */
		if (port_is_dir(DIRS[i]) && port_dir_each(DIRS[i], has_cert_entry, NULL) > 0)
			return set_trust(t, DIRS[i], 1, "system directory", err);
	/* No bundle anywhere (rescue images, routers): the roots Alibaba Cloud chains to. */
	t->builtin = 1;
	snprintf(t->path, sizeof(t->path), "built-in");
	snprintf(t->origin, sizeof(t->origin), "%u roots, no CA bundle found",
		 (unsigned)tls_anchor_count());
	return ECS_OK;
}

size_t tls_anchor_count(void)
{
	return sizeof(tls_anchors) / sizeof(tls_anchors[0]);
}

const unsigned char *tls_anchor_der(size_t i, size_t *len, const unsigned char **sha256)
{
	*len = tls_anchors[i].len;
	*sha256 = tls_anchors[i].sha256;
	return tls_anchors[i].der;
}

/* Issuer lookup state: the bundle is streamed, each PEM block decoded into der[] and only
 * certificates whose subject equals the child's issuer are parsed (into the mbedTLS heap). */
typedef struct {
	const mbedtls_x509_crt *child;
	mbedtls_x509_crt *found;
	int fatal;
} ca_search;

static char b64[ECS_PEM_B64_MAX];
static unsigned char der[ECS_CERT_DER_MAX];

/* Locates the subject Name (tag included) inside a DER certificate. */
static int der_subject(const unsigned char *p, size_t n, const unsigned char **s, size_t *sl)
{
	unsigned char *c = (unsigned char *)(uintptr_t)p, *end = c + n, *tbs_end;
	size_t len;
	int i;

	if (mbedtls_asn1_get_tag(&c, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return -1;
	end = c + len;
	if (mbedtls_asn1_get_tag(&c, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return -1;
	tbs_end = c + len;
	/* [0] EXPLICIT version, optional */
	if (c < tbs_end && *c == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
		if (mbedtls_asn1_get_tag(&c, tbs_end, &len,
					 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED))
			return -1;
		c += len;
	}
	/* serialNumber, signature, issuer, validity: skip four TLVs */
	for (i = 0; i < 4; i++) {
		if (c >= tbs_end)
			return -1;
		c++;
		if (mbedtls_asn1_get_len(&c, tbs_end, &len))
			return -1;
		c += len;
	}
	{
		unsigned char *start = c;
		if (mbedtls_asn1_get_tag(&c, tbs_end, &len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			return -1;
		*s = start;
		*sl = (size_t)(c - start) + len;
	}
	return 0;
}

static int already_found(const ca_search *cs, const unsigned char *d, size_t n)
{
	const mbedtls_x509_crt *c;

	for (c = cs->found; c != NULL && c->raw.p != NULL; c = c->next)
		if (c->raw.len == n && memcmp(c->raw.p, d, n) == 0)
			return 1;
	return 0;
}

static void consider_der(ca_search *cs, const unsigned char *d, size_t n)
{
	const unsigned char *subj;
	size_t sl;

	if (der_subject(d, n, &subj, &sl) != 0)
		return; /* not a certificate we can read: skip it, like a comment */
	if (sl != cs->child->issuer_raw.len || memcmp(subj, cs->child->issuer_raw.p, sl) != 0)
		return;
	if (cs->found != NULL && already_found(cs, d, n))
		return;
	if (cs->found == NULL) {
		cs->found = mbedtls_calloc(1, sizeof(*cs->found));
		if (cs->found == NULL) {
			cs->fatal = 1;
			return;
		}
		mbedtls_x509_crt_init(cs->found);
	}
	/* A CA that does not parse (unsupported key type, say) is skipped. */
	(void)mbedtls_x509_crt_parse_der(cs->found, d, n);
}

/* Streams one file: PEM blocks anywhere in it (comments and other blocks skipped), or a
 * single DER certificate. Lines are collected one at a time; base64 lines between the
 * markers are appended to b64 and decoded at the END marker. */
static void scan_file(ca_search *cs, const char *path)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char endm[] = "-----END CERTIFICATE-----";
	char chunk[ECS_NET_CHUNK];
	char line[256];
	size_t line_len = 0, b64_len = 0, got, i, der_len = 0;
	int in_cert = 0, overflow = 0, first = 1, is_der = 0, long_line = 0;
	port_fd fd;
	char why[128];

	if (port_file_open(path, &fd, why, sizeof(why)) != PORT_OK) {
		snprintf(G.trust_fail, sizeof(G.trust_fail), "cannot read %s: %s", path, why);
		return;
	}
	while (!cs->fatal && port_file_read(fd, chunk, sizeof(chunk), &got) == PORT_OK && got > 0) {
		if (first) {
			is_der = (unsigned char)chunk[0] == 0x30;
			first = 0;
		}
		if (is_der) {
			if (der_len + got > sizeof(der)) {
				port_file_close(fd);
				return;
			}
			memcpy(der + der_len, chunk, got);
			der_len += got;
			continue;
		}
		for (i = 0; i < got; i++) {
			char c = chunk[i];
			if (c != '\n' && c != '\r') {
				if (line_len < sizeof(line))
					line[line_len++] = c;
				else
					long_line = 1;
				continue;
			}
			if (line_len >= sizeof(begin) - 1 &&
			    memcmp(line, begin, sizeof(begin) - 1) == 0) {
				in_cert = 1;
				overflow = 0;
				b64_len = 0;
			} else if (in_cert && line_len >= sizeof(endm) - 1 &&
				   memcmp(line, endm, sizeof(endm) - 1) == 0) {
				size_t dl = 0;
				in_cert = 0;
				if (!overflow &&
				    mbedtls_base64_decode(der, sizeof(der), &dl,
							  (unsigned char *)b64, b64_len) == 0)
					consider_der(cs, der, dl);
			} else if (in_cert) {
				size_t k;
				if (long_line)
					overflow = 1;
				for (k = 0; k < line_len && !overflow; k++) {
					if (line[k] == ' ' || line[k] == '\t')
						continue;
					if (b64_len == sizeof(b64))
						overflow = 1;
					else
						b64[b64_len++] = line[k];
				}
			}
			line_len = 0;
			long_line = 0;
		}
	}
	port_file_close(fd);
	if (is_der && der_len > 0)
		consider_der(cs, der, der_len);
}

typedef struct {
	ca_search *cs;
	const char *dir;
} dir_scan;

static int cert_name(const char *n)
{
	size_t l = strlen(n), i;

	if (l > 4 && (strcmp(n + l - 4, ".crt") == 0 || strcmp(n + l - 4, ".pem") == 0 ||
		      strcmp(n + l - 4, ".cer") == 0))
		return 1;
	/* OpenSSL hash links: 8 hex digits, '.', digits */
	if (l >= 10 && n[8] == '.') {
		for (i = 0; i < 8; i++)
			if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
				return 0;
		for (i = 9; i < l; i++)
			if (n[i] < '0' || n[i] > '9')
				return 0;
		return 1;
	}
	return 0;
}

static int scan_dir_entry(const char *name, void *ctx)
{
	dir_scan *ds = ctx;
	char path[ECS_PATH_MAX];

	if (!cert_name(name))
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ds->dir, name) >= sizeof(path))
		return 0;
	if (!port_is_file(path))
		return 0;
	scan_file(ds->cs, path);
	return ds->cs->fatal ? 1 : 0;
}

static int ca_callback(void *ctx, mbedtls_x509_crt const *child, mbedtls_x509_crt **out)
{
	const tls_trust *t = ctx;
	ca_search cs;

	cs.child = child;
	cs.found = NULL;
	cs.fatal = 0;
	if (t->builtin) {
		size_t i;
		for (i = 0; i < tls_anchor_count() && !cs.fatal; i++)
			consider_der(&cs, tls_anchors[i].der, tls_anchors[i].len);
	} else if (t->is_dir) {
		dir_scan ds;
		ds.cs = &cs;
		ds.dir = t->path;
		if (port_dir_each(t->path, scan_dir_entry, &ds) < 0)
			snprintf(G.trust_fail, sizeof(G.trust_fail), "cannot read directory %s: %s",
				 t->path, port_strerror());
	} else {
		scan_file(&cs, t->path);
	}
	if (cs.found != NULL && cs.found->raw.p == NULL) { /* nothing parsed into it */
		mbedtls_x509_crt_free(cs.found);
		mbedtls_free(cs.found);
		cs.found = NULL;
	}
	if (cs.fatal) {
		if (cs.found != NULL) {
			mbedtls_x509_crt_free(cs.found);
			mbedtls_free(cs.found);
		}
		*out = NULL;
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	}
	*out = cs.found;
	return 0;
}

/* A device without an RTC boots in 1970: when the clock is before this build, the validity
 * dates cannot be judged, so only they are waived (chain and name are still verified). */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	(void)crt;
	(void)depth;
	if (port_time_unix() < ECS_BUILD_TIME &&
	    (*flags & (MBEDTLS_X509_BADCERT_FUTURE | MBEDTLS_X509_BADCERT_EXPIRED)) != 0) {
		*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_FUTURE | MBEDTLS_X509_BADCERT_EXPIRED);
		G.clock_untrusted = 1;
	}
	return 0;
}

/* Random bytes straight from the OS (getrandom(), else /dev/urandom, never /dev/random):
 * the kernel's generator is a CSPRNG, so mbedTLS keeps no DRBG and no entropy pool of its own
 * (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG; CTR_DRBG and the entropy module are not built). One is for
 * the TLS handshake (client random, ECDHE keys, blinding), the other for PSA (TLS 1.3 keys). */
static int tls_random(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	return port_random(out, n) == PORT_OK ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *ctx,
					     uint8_t *out, size_t n, size_t *out_len)
{
	(void)ctx;
	*out_len = 0;
	if (port_random(out, n) != PORT_OK)
		return PSA_ERROR_INSUFFICIENT_ENTROPY;
	*out_len = n;
	return PSA_SUCCESS;
}

/* The mbedTLS heap: the static pool, set up once. */
/* Maps and initialises the pool once: 0, or -1 when the memory cannot be had. */
static int pool_setup(void)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
	if (pool != NULL)
		return 0;
	pool = port_mem_resize(NULL, 0, pool_used);
	if (pool == NULL)
		return -1;
	/* fresh (zero) pages; the allocator is patched to write only its first block header
	 * (third_party/patches), so the pool costs the pages the connections use, not its size */
	mbedtls_memory_buffer_alloc_init(pool, pool_used);
	if (port_getenv("ECS_POOL_STATS") != NULL) {
		/* Stats runs only (it touches every page): paint all but the allocator's first
		 * block header, so the highest unpainted byte is the high-water mark. */
		memset(pool + 128, POOL_FILL, pool_used - 128);
		pool_measured = 1;
	}
#endif
	return 0;
}

int tls_cert_describe(const unsigned char *cert, size_t len, char *out, size_t cap)
{
	mbedtls_x509_crt crt;
	int rc;

	if (pool_setup() != 0)
		return -1;
	mbedtls_x509_crt_init(&crt);
	rc = mbedtls_x509_crt_parse_der(&crt, cert, len);
	if (rc == 0 && mbedtls_x509_dn_gets(out, cap, &crt.subject) < 0)
		rc = -1;
	mbedtls_x509_crt_free(&crt);
	return rc != 0 ? -1 : 0;
}

ecs_status tls_global_init(const tls_trust *t, ecs_err *err)
{
	unsigned char probe[16];
	int rc;

	if (G.done)
		return G.status == ECS_OK ? ECS_OK
					  : err_set(err, G.status, "TLS setup failed earlier");
	G.done = 1;
	G.status = ECS_E_TLS;
	if (pool_setup() != 0)
		return err_set(err, ECS_E_TLS,
			       "TLS: no memory for the %u KiB pool; try a lower --parallel",
			       (unsigned)(pool_used / 1024));
	G.trust = *t;
	if (psa_crypto_init() != PSA_SUCCESS)
		return err_set(err, ECS_E_TLS, "TLS: PSA crypto initialisation failed");
	/* a random source that fails is said here, once, not as a handshake error later */
	rc = tls_random(NULL, probe, sizeof(probe));
	mbedtls_platform_zeroize(probe, sizeof(probe));
	if (rc != 0)
		return err_set(err, ECS_E_TLS,
			       "TLS: no random bytes from the OS (getrandom() and /dev/urandom "
			       "failed)");
	mbedtls_ssl_config_init(&G.conf);
	rc = mbedtls_ssl_config_defaults(&G.conf, MBEDTLS_SSL_IS_CLIENT,
					 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0)
		return err_set(err, ECS_E_TLS, "TLS: configuration failed (%s)", tls_strerror(rc));
	mbedtls_ssl_conf_min_tls_version(&G.conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_authmode(&G.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_rng(&G.conf, tls_random, NULL);
	mbedtls_ssl_conf_ca_cb(&G.conf, ca_callback, &G.trust);
	mbedtls_ssl_conf_verify(&G.conf, verify_cb, NULL);
	G.status = ECS_OK;
	return ECS_OK;
}

const mbedtls_ssl_config *tls_config(void)
{
	return &G.conf;
}

ecs_status tls_verify_error(const mbedtls_ssl_context *ssl, const char *host, ecs_err *err)
{
	uint32_t f = mbedtls_ssl_get_verify_result(ssl);
	char why[256];
	size_t pos = 0;

	why[0] = '\0';
#define WHY(flag, text)                                                                            \
	if ((f & (flag)) && pos < sizeof(why))                                                     \
	pos += (size_t)snprintf(why + pos, sizeof(why) - pos, "%s%s", pos ? "; " : "", text)
	WHY(MBEDTLS_X509_BADCERT_NOT_TRUSTED, "issued by an unknown CA");
	WHY(MBEDTLS_X509_BADCERT_CN_MISMATCH, "does not match the host name");
	WHY(MBEDTLS_X509_BADCERT_EXPIRED, "certificate has expired");
	WHY(MBEDTLS_X509_BADCERT_FUTURE, "certificate is not yet valid");
	WHY(MBEDTLS_X509_BADCERT_REVOKED, "certificate was revoked");
	WHY(MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
		    MBEDTLS_X509_BADCERT_NS_CERT_TYPE,
	    "certificate is not for TLS servers");
	WHY(MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
		    MBEDTLS_X509_BADCERT_BAD_KEY,
	    "certificate uses an unacceptable algorithm or key size");
	WHY(MBEDTLS_X509_BADCERT_MISSING | MBEDTLS_X509_BADCERT_SKIP_VERIFY |
		    MBEDTLS_X509_BADCERT_OTHER,
	    "certificate could not be verified");
#undef WHY
	if (pos == 0)
		snprintf(why, sizeof(why), "verification failed (flags 0x%x)", (unsigned)f);
	if (f & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) {
		char now[21];
		sign_format_time(port_time_unix(), now);
		return err_set(err, ECS_E_TLS,
			       "TLS: certificate of %s: %s (local clock: %s; check the clock)",
			       host, why, now);
	}
	if ((f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) && G.trust_fail[0] != '\0')
		return err_set(err, ECS_E_TLS,
			       "TLS: certificate of %s could not be checked: %s (trust anchors: %s "
			       "%s)",
			       host, G.trust_fail, G.trust.origin, G.trust.path);
	if ((f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) && G.trust.builtin)
		return err_set(err, ECS_E_TLS,
			       "TLS: certificate of %s: %s (trust anchors: built-in, %s; pass "
			       "--ca-file with the CA that issued it)",
			       host, why, G.trust.origin);
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return err_set(err, ECS_E_TLS,
			       "TLS: certificate of %s: %s (trust anchors: %s %s; use --ca-file)",
			       host, why, G.trust.origin, G.trust.path);
	return err_set(err, ECS_E_TLS, "TLS: certificate of %s: %s", host, why);
}

const char *tls_strerror(int code)
{
	/* mbedTLS's own table (MBEDTLS_ERROR_C) costs ~30 KB; these are the codes a user meets. */
	static const struct {
		int code;
		const char *text;
	} tab[] = {
		{MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, "the server sent a fatal alert"},
		{MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE, "no common cipher suite, curve or version"},
		{MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION, "the server offers no TLS 1.2 or 1.3"},
		{MBEDTLS_ERR_SSL_INVALID_RECORD, "the server did not answer with TLS"},
		{MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE, "unexpected TLS message"},
		{MBEDTLS_ERR_SSL_DECODE_ERROR, "malformed TLS message"},
		{MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER, "illegal parameter in a TLS message"},
		{MBEDTLS_ERR_SSL_INVALID_MAC, "TLS record integrity check failed"},
		{MBEDTLS_ERR_SSL_CONN_EOF, "the connection was closed"},
		{MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, "the server closed the TLS session"},
		{MBEDTLS_ERR_SSL_ALLOC_FAILED, "out of TLS memory"},
		{MBEDTLS_ERR_X509_ALLOC_FAILED, "out of TLS memory"},
		{MBEDTLS_ERR_SSL_BAD_CERTIFICATE, "bad certificate"},
		{MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "certificate verification failed"},
		{MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION, "unsupported TLS extension"},
		{MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL, "TLS buffer too small"},
		{MBEDTLS_ERR_ENTROPY_SOURCE_FAILED, "no random bytes from the OS"},
	};
	static char buf[64];
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].code == code)
			return tab[i].text;
	snprintf(buf, sizeof(buf), "mbedTLS error -0x%04x", (unsigned)-code);
	return buf;
}
