/*
 * Unit tests for src/sign.c: percent-encoding, canonical query, RPC v1.0 (HMAC-SHA1) and V3
 * (ACS3-HMAC-SHA256) signatures, time formatting, nonce hex and HTTP Date parsing.
 *
 * Official vectors come from docs/alibaba-ecs-api.md sections 2 and 3. Values marked
 * "precomputed" were computed once with Python 3 (hmac, hashlib, base64) using an independent
 * implementation of the same algorithm:
 *   enc(b)   = b if b in A-Z a-z 0-9 - _ . ~ else "%%%02X" % b, over the UTF-8 bytes
 *   canon(p) = "&".join(enc(k) + "=" + enc(v) for k, v in sorted(p))     (byte-order sort)
 *   v1       = base64(hmac.new((secret + "&").encode(), (METHOD + "&%2F&" + enc(canon)).encode(),
 *                               hashlib.sha1).digest())
 *   v3       = hmac.new(secret.encode(),
 *                       ("ACS3-HMAC-SHA256\n" + sha256(canonical_request).hexdigest()).encode(),
 *                       hashlib.sha256).hexdigest()
 * That reference reproduces every official vector below before it was used for the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "sign.h"

/* the canonical request is built here (sign_v3_authorization takes a caller buffer) */
static char sign_work[12288];

#define CANARY	     ((char)0xA5)
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                   */

static sign_pair P(const char *name, const char *value)
{
	sign_pair p;

	p.name = name;
	p.name_len = strlen(name);
	p.value = value;
	p.value_len = strlen(value);
	return p;
}

/* One call of a function under test with a given output capacity. */
typedef ecs_status (*cap_fn)(const void *ctx, char *dst, size_t cap, size_t *out_len);

/*
 * The buffer-too-small contract: for every cap below len + 1 the call fails with ECS_E_NOSPACE,
 * at exactly len + 1 it succeeds with the expected bytes, and in no case is a byte at or after
 * dst[cap] touched (the buffer is larger than cap and filled with a canary).
 */
static void check_caps(cap_fn fn, const void *ctx, const char *expect, size_t len)
{
	size_t need = len + 1, total = len + 65, cap, i;
	char *buf = malloc(total);

	assert_non_null(buf);
	for (cap = 0; cap <= need; cap++) {
		size_t out_len = (size_t)-1;
		ecs_status st;

		memset(buf, CANARY, total);
		st = fn(ctx, buf, cap, &out_len);
		if (cap < need) {
			if (st != ECS_E_NOSPACE)
				fail_msg("cap %zu (need %zu): status %d, want ECS_E_NOSPACE", cap,
					 need, (int)st);
		} else {
			if (st != ECS_OK)
				fail_msg("cap %zu (need %zu): status %d, want ECS_OK", cap, need,
					 (int)st);
			assert_int_equal(out_len, len);
			assert_memory_equal(buf, expect, len);
			assert_int_equal(buf[len], '\0');
		}
		for (i = cap; i < total; i++)
			if (buf[i] != CANARY)
				fail_msg("cap %zu: byte %zu written past cap", cap, i);
	}
	free(buf);
}

/* Copies a pair array (the signer sorts in place) so every call sees the original order. */
static sign_pair *dup_pairs(const sign_pair *p, size_t n)
{
	sign_pair *c = malloc((n > 0 ? n : 1) * sizeof(*c));

	assert_non_null(c);
	if (n > 0)
		memcpy(c, p, n * sizeof(*c));
	return c;
}

/* ---------------------------------------------------------------------------------------- */
/* vectors                                                                                   */

static const char SECRET[] = "testsecret";

/* DescribeRegions, official example (Signature.md / Request signatures.md). Deliberately out of
 * order so the sort is exercised. */
static void regions_params(sign_pair *p, const char *ts_name)
{
	p[0] = P("Version", "2014-05-26");
	p[1] = P("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
	p[2] = P("Action", "DescribeRegions");
	p[3] = P(ts_name, "2016-02-23T12:46:24Z");
	p[4] = P("Format", "XML");
	p[5] = P("SignatureVersion", "1.0");
	p[6] = P("AccessKeyId", "testid");
	p[7] = P("SignatureMethod", "HMAC-SHA1");
}

static const char REGIONS_CANON[] =
	"AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
	"&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
	"&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26";

static const char REGIONS_STS[] =
	"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
	"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
	"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
	"%26Version%3D2014-05-26";

static const char REGIONS_SIG[] = "OLeaidS1JvxuMvnyHOwuJ+uX5qY=";

static const char REGIONS_WIRE[] =
	"AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
	"&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
	"&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
	"&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D";

/* DescribeCloudAssistantStatus, self-computed in the doc (ids contain '*'). */
static void cas_params(sign_pair *p)
{
	p[0] = P("RegionId", "cn-hangzhou");
	p[1] = P("InstanceId.2", "i-bp11f7trr4hbi1****");
	p[2] = P("InstanceId.1", "i-bp1iudwa5b1tqa****");
	p[3] = P("Version", "2014-05-26");
	p[4] = P("Timestamp", "2016-02-23T12:46:24Z");
	p[5] = P("SignatureVersion", "1.0");
	p[6] = P("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
	p[7] = P("SignatureMethod", "HMAC-SHA1");
	p[8] = P("Format", "JSON");
	p[9] = P("Action", "DescribeCloudAssistantStatus");
	p[10] = P("AccessKeyId", "testid");
}
#define CAS_N 11

static const char CAS_CANON[] =
	"AccessKeyId=testid&Action=DescribeCloudAssistantStatus&Format=JSON"
	"&InstanceId.1=i-bp1iudwa5b1tqa%2A%2A%2A%2A&InstanceId.2=i-bp11f7trr4hbi1%2A%2A%2A%2A"
	"&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1"
	"&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
	"&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26";

static const char CAS_STS_GET[] =
	"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeCloudAssistantStatus%26Format%3DJSON"
	"%26InstanceId.1%3Di-bp1iudwa5b1tqa%252A%252A%252A%252A"
	"%26InstanceId.2%3Di-bp11f7trr4hbi1%252A%252A%252A%252A%26RegionId%3Dcn-hangzhou"
	"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
	"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
	"%26Version%3D2014-05-26";

/* V3 RunInstances, official fixed-parameter example. */
static const char RUN_QUERY[] =
	"ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai";

static void run_headers(sign_pair *h, const char *date, const char *nonce)
{
	h[0] = P("host", "ecs.cn-shanghai.aliyuncs.com");
	h[1] = P("x-acs-action", "RunInstances");
	h[2] = P("x-acs-content-sha256", EMPTY_SHA256);
	h[3] = P("x-acs-date", date);
	h[4] = P("x-acs-signature-nonce", nonce);
	h[5] = P("x-acs-version", "2014-05-26");
}
#define RUN_NH 6

static const char RUN_SIGNED[] =
	"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

static const char RUN_CR[] =
	"POST\n"
	"/\n"
	"ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
	"host:ecs.cn-shanghai.aliyuncs.com\n"
	"x-acs-action:RunInstances\n"
	"x-acs-content-sha256:" EMPTY_SHA256 "\n"
	"x-acs-date:2023-10-26T10:22:32Z\n"
	"x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
	"x-acs-version:2014-05-26\n"
	"\n"
	"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-"
	"version\n" EMPTY_SHA256;

static const char RUN_HASH[] = "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259";

static const char RUN_AUTH[] =
	"ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
	"x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
	"Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0";

static const char KEY_ID[] = "YourAccessKeyId";
static const char V3_SECRET[] = "YourAccessKeySecret";

/* Full v1 signing through the public API, with the string to sign returned. */
static void v1_sign(const char *method, sign_pair *p, size_t n, const char *secret, char *wire,
		    size_t wire_cap, char *sts, size_t sts_cap)
{
	size_t len = 0;

	assert_int_equal(sign_v1_query(method, p, n, secret, strlen(secret), wire, wire_cap, &len,
				       sts, sts_cap),
			 ECS_OK);
	assert_int_equal(len, strlen(wire));
}

/* The Signature value of a wire query, percent-decoded (only %2B %2F %3D occur in base64). */
static void wire_signature(const char *wire, char *out, size_t cap)
{
	const char *s = strstr(wire, "&Signature=");
	size_t o = 0;

	assert_non_null(s);
	for (s += 11; *s != '\0' && o + 1 < cap; s++) {
		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0') {
			char hex[3] = {s[1], s[2], '\0'};
			out[o++] = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void v3_auth(const sign_pair *h, size_t nh, const char *query, const char *key_id,
		    const char *secret, char *auth, size_t cap, char hashed[65])
{
	size_t len = 0;

	assert_int_equal(sign_v3_authorization("POST", "/", query, strlen(query), h, nh,
					       EMPTY_SHA256, key_id, strlen(key_id), secret,
					       strlen(secret), auth, cap, &len, hashed, sign_work,
					       sizeof(sign_work)),
			 ECS_OK);
	assert_int_equal(len, strlen(auth));
}

/* ---------------------------------------------------------------------------------------- */
/* RPC v1.0 official vectors                                                                */

static void test_v1_describe_regions_steps(void **state)
{
	sign_pair p[8];
	char canon[512], sts[1024], sig[64];
	size_t clen = 0, slen = 0, glen = 0;

	(void)state;
	regions_params(p, "Timestamp");
	assert_int_equal(sign_canonical_query(p, 8, canon, sizeof(canon), &clen), ECS_OK);
	assert_string_equal(canon, REGIONS_CANON);
	assert_int_equal(clen, strlen(REGIONS_CANON));
	/* the sort happened in place */
	assert_memory_equal(p[0].name, "AccessKeyId", p[0].name_len);
	assert_memory_equal(p[7].name, "Version", p[7].name_len);

	assert_int_equal(sign_v1_string_to_sign("GET", canon, clen, sts, sizeof(sts), &slen),
			 ECS_OK);
	assert_string_equal(sts, REGIONS_STS);
	assert_int_equal(slen, strlen(REGIONS_STS));

	assert_int_equal(
		sign_v1_signature(SECRET, strlen(SECRET), sts, slen, sig, sizeof(sig), &glen),
		ECS_OK);
	assert_string_equal(sig, REGIONS_SIG);
	assert_int_equal(glen, 28);
}

static void test_v1_describe_regions_query(void **state)
{
	sign_pair p[8];
	char wire[1024], sts[1024];

	(void)state;
	regions_params(p, "Timestamp");
	v1_sign("GET", p, 8, SECRET, wire, sizeof(wire), sts, sizeof(sts));
	assert_string_equal(sts, REGIONS_STS);
	assert_string_equal(wire, REGIONS_WIRE);
	/* ends with the URL form of the signature */
	assert_string_equal(wire + strlen(wire) -
				    strlen("&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"),
			    "&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D");

	/* without sts_out the string to sign is built in the tail of dst: same result */
	regions_params(p, "Timestamp");
	memset(wire, 0, sizeof(wire));
	v1_sign("GET", p, 8, SECRET, wire, sizeof(wire), NULL, 0);
	assert_string_equal(wire, REGIONS_WIRE);
}

/* The widely copied doc value is what the misspelled name "TimeStamp" gives. */
static void test_v1_timestamp_pitfall(void **state)
{
	sign_pair p[8];
	char wire[1024], sts[1024], sig[64];

	(void)state;
	regions_params(p, "TimeStamp");
	v1_sign("GET", p, 8, SECRET, wire, sizeof(wire), sts, sizeof(sts));
	wire_signature(wire, sig, sizeof(sig));
	assert_string_equal(sig, "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
	/* "TimeStamp" sorts after "SignatureVersion" and before "Version" as well */
	assert_non_null(strstr(sts, "%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version"));
}

static void test_v1_describe_dedicated_hosts(void **state)
{
	sign_pair p[9];
	char wire[1024], sig[64];

	(void)state;
	p[0] = P("AccessKeyId", "testid");
	p[1] = P("Action", "DescribeDedicatedHosts");
	p[2] = P("Format", "JSON");
	p[3] = P("RegionId", "cn-beijing");
	p[4] = P("SignatureMethod", "HMAC-SHA1");
	p[5] = P("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb");
	p[6] = P("SignatureVersion", "1.0");
	p[7] = P("Timestamp", "2023-03-13T08:34:30Z");
	p[8] = P("Version", "2014-05-26");
	v1_sign("GET", p, 9, SECRET, wire, sizeof(wire), NULL, 0);
	wire_signature(wire, sig, sizeof(sig));
	assert_string_equal(sig, "9NaGiOspFP5UPcwX8Iwt2YJXXuk=");
	assert_non_null(strstr(wire, "&Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D"));
}

static void test_v1_cloud_assistant_get_post(void **state)
{
	sign_pair p[CAS_N];
	char wire[2048], sts[2048], sig[64], expect_wire[2048];

	(void)state;
	cas_params(p);
	v1_sign("GET", p, CAS_N, SECRET, wire, sizeof(wire), sts, sizeof(sts));
	assert_string_equal(sts, CAS_STS_GET);
	wire_signature(wire, sig, sizeof(sig));
	assert_string_equal(sig, "UkQS59qIo8MutAGnZ0aT0rLPy3o=");
	snprintf(expect_wire, sizeof(expect_wire), "%s&Signature=%s", CAS_CANON,
		 "UkQS59qIo8MutAGnZ0aT0rLPy3o%3D");
	assert_string_equal(wire, expect_wire);

	cas_params(p);
	v1_sign("POST", p, CAS_N, SECRET, wire, sizeof(wire), sts, sizeof(sts));
	assert_memory_equal(sts, "POST&%2F&", 9);
	assert_string_equal(sts + 9, CAS_STS_GET + 8);
	wire_signature(wire, sig, sizeof(sig));
	assert_string_equal(sig, "xH7eu7Yaa5SdE7xf8rI3Yl+ZcxA=");
	snprintf(expect_wire, sizeof(expect_wire), "%s&Signature=%s", CAS_CANON,
		 "xH7eu7Yaa5SdE7xf8rI3Yl%2BZcxA%3D");
	assert_string_equal(wire, expect_wire);
}

/* ---------------------------------------------------------------------------------------- */
/* V3 official vectors                                                                      */

static void test_v3_run_instances_canonical_request(void **state)
{
	sign_pair h[RUN_NH];
	char cr[2048], signed_list[256], hex[65];
	size_t len = 0;

	(void)state;
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	assert_int_equal(sign_v3_canonical_request("POST", "/", RUN_QUERY, strlen(RUN_QUERY), h,
						   RUN_NH, EMPTY_SHA256, cr, sizeof(cr), &len,
						   signed_list, sizeof(signed_list)),
			 ECS_OK);
	assert_string_equal(cr, RUN_CR);
	assert_int_equal(len, strlen(RUN_CR));
	assert_string_equal(signed_list, RUN_SIGNED);
	sign_sha256_hex(cr, len, hex);
	assert_string_equal(hex, RUN_HASH);

	/* signed_out is optional */
	assert_int_equal(sign_v3_canonical_request("POST", "/", RUN_QUERY, strlen(RUN_QUERY), h,
						   RUN_NH, EMPTY_SHA256, cr, sizeof(cr), &len, NULL,
						   0),
			 ECS_OK);
	assert_string_equal(cr, RUN_CR);
}

static void test_v3_run_instances_authorization(void **state)
{
	sign_pair h[RUN_NH];
	char auth[512], hashed[65];

	(void)state;
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	v3_auth(h, RUN_NH, RUN_QUERY, KEY_ID, V3_SECRET, auth, sizeof(auth), hashed);
	assert_string_equal(hashed, RUN_HASH);
	assert_string_equal(auth, RUN_AUTH);

	/* hashed_out is optional */
	memset(auth, 0, sizeof(auth));
	{
		size_t len = 0;
		assert_int_equal(sign_v3_authorization("POST", "/", RUN_QUERY, strlen(RUN_QUERY), h,
						       RUN_NH, EMPTY_SHA256, KEY_ID, strlen(KEY_ID),
						       V3_SECRET, strlen(V3_SECRET), auth,
						       sizeof(auth), &len, NULL, sign_work,
						       sizeof(sign_work)),
				 ECS_OK);
		assert_string_equal(auth, RUN_AUTH);
	}
}

/* The doc's header table pairs the signature above with 09:01:01Z / d410...; those inputs give
 * e521358f... instead. */
static void test_v3_run_instances_doc_table_pitfall(void **state)
{
	sign_pair h[RUN_NH];
	char auth[512], hashed[65];
	const char *sig;

	(void)state;
	run_headers(h, "2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0");
	v3_auth(h, RUN_NH, RUN_QUERY, KEY_ID, V3_SECRET, auth, sizeof(auth), hashed);
	sig = strstr(auth, ",Signature=");
	assert_non_null(sig);
	assert_string_equal(sig + 11,
			    "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804");
	assert_string_not_equal(hashed, RUN_HASH);
}

/* ---------------------------------------------------------------------------------------- */
/* percent-encoding                                                                          */

static int is_unreserved(unsigned c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void expect_enc(const char *in, size_t in_len, const char *expect)
{
	char out[256];
	size_t len = 0;

	assert_int_equal(sign_pct_encode(in, in_len, out, sizeof(out), &len), ECS_OK);
	assert_string_equal(out, expect);
	assert_int_equal(len, strlen(expect));
}

static void test_pct_encode_every_byte(void **state)
{
	static const char hex[] = "0123456789ABCDEF";
	char all_in[256], all_expect[256 * 3 + 1], *all_out;
	size_t pos = 0, len = 0, unres = 0;
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		char in = (char)c, expect[4];
		if (is_unreserved(c)) {
			expect[0] = (char)c;
			expect[1] = '\0';
			unres++;
		} else {
			expect[0] = '%';
			expect[1] = hex[c >> 4];
			expect[2] = hex[c & 15];
			expect[3] = '\0';
		}
		expect_enc(&in, 1, expect);
		all_in[c] = in;
		memcpy(all_expect + pos, expect, strlen(expect));
		pos += strlen(expect);
	}
	all_expect[pos] = '\0';
	assert_int_equal(unres, 66);
	assert_int_equal(pos, 66 + 190 * 3);

	all_out = malloc(pos + 1);
	assert_non_null(all_out);
	assert_int_equal(sign_pct_encode(all_in, 256, all_out, pos + 1, &len), ECS_OK);
	assert_int_equal(len, pos);
	assert_string_equal(all_out, all_expect);
	free(all_out);
}

static void test_pct_encode_specials(void **state)
{
	(void)state;
	expect_enc(" ", 1, "%20");
	expect_enc("*", 1, "%2A");
	expect_enc("~", 1, "~");
	expect_enc("/", 1, "%2F");
	expect_enc("+", 1, "%2B");
	expect_enc("=", 1, "%3D");
	expect_enc("&", 1, "%26");
	expect_enc("%", 1, "%25");
	expect_enc(":", 1, "%3A");
	expect_enc("-_.~", 4, "-_.~");
	expect_enc("AZaz09", 6, "AZaz09");
	expect_enc("", 0, "");
	expect_enc("a b+c*d~e/f", 11, "a%20b%2Bc%2Ad~e%2Ff");
	/* an embedded NUL is a byte like any other */
	expect_enc("a\0b", 3, "a%00b");
	/* non-ASCII: UTF-8 bytes, upper-case hex */
	expect_enc("\xe4\xb8\xad\xe6\x96\x87", 6, "%E4%B8%AD%E6%96%87");
	expect_enc("\xc3\xa9t\xc3\xa9", 5, "%C3%A9t%C3%A9");
	expect_enc("\xf0\x9f\x98\x80", 4, "%F0%9F%98%80");
}

/* ---------------------------------------------------------------------------------------- */
/* canonical query                                                                           */

static void expect_canon(sign_pair *p, size_t n, const char *expect)
{
	char out[4096];
	size_t len = (size_t)-1;

	assert_int_equal(sign_canonical_query(p, n, out, sizeof(out), &len), ECS_OK);
	assert_string_equal(out, expect);
	assert_int_equal(len, strlen(expect));
}

static void test_canonical_query_edges(void **state)
{
	sign_pair p[6];

	(void)state;
	/* no parameters */
	expect_canon(p, 0, "");

	/* empty values give "k=" */
	p[0] = P("NextToken", "");
	p[1] = P("A", "");
	expect_canon(p, 2, "A=&NextToken=");

	/* byte order: "InstanceId.10" < "InstanceId.2", upper case before lower case */
	p[0] = P("InstanceId.2", "b");
	p[1] = P("InstanceId.10", "c");
	p[2] = P("InstanceId.1", "a");
	p[3] = P("action", "x");
	p[4] = P("Action", "y");
	expect_canon(p, 5, "Action=y&InstanceId.1=a&InstanceId.10=c&InstanceId.2=b&action=x");

	/* a name that is a prefix of another sorts first */
	p[0] = P("AccessKeyIdX", "2");
	p[1] = P("AccessKeyId", "1");
	expect_canon(p, 2, "AccessKeyId=1&AccessKeyIdX=2");

	/* same name: sorted by value */
	p[0] = P("A", "2");
	p[1] = P("A", "10");
	p[2] = P("A", "1");
	expect_canon(p, 3, "A=1&A=10&A=2");

	/* names and values encoded; non-ASCII UTF-8 */
	p[0] = P("Tag.1.Value", "\xe4\xb8\xad\xe6\x96\x87 \xe6\xb5\x8b\xe8\xaf\x95");
	p[1] = P("Tag.1.Key", "a b*c~d/e+f=g&h%i");
	expect_canon(p, 2,
		     "Tag.1.Key=a%20b%2Ac~d%2Fe%2Bf%3Dg%26h%25i"
		     "&Tag.1.Value=%E4%B8%AD%E6%96%87%20%E6%B5%8B%E8%AF%95");

	/* counted strings: bytes after name_len / value_len are not read */
	p[0].name = "RegionIdGARBAGE";
	p[0].name_len = 8;
	p[0].value = "cn-hangzhouXYZ";
	p[0].value_len = 11;
	expect_canon(p, 1, "RegionId=cn-hangzhou");
}

/* 50 and 100 InstanceId.N parameters (the batch and API limits). The id order below is
 * Python's sorted() of the names "InstanceId.1" .. "InstanceId.N", pasted as constants. */
static const unsigned ORDER50[50] = {1,	 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 2,  20,
				     21, 22, 23, 24, 25, 26, 27, 28, 29, 3,  30, 31, 32,
				     33, 34, 35, 36, 37, 38, 39, 4,  40, 41, 42, 43, 44,
				     45, 46, 47, 48, 49, 5,  50, 6,  7,	 8,  9};
static const unsigned ORDER100[100] = {
	1,  10, 100, 11, 12, 13, 14, 15, 16, 17, 18, 19, 2,  20, 21, 22, 23, 24, 25, 26,
	27, 28, 29,  3,	 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 4,  40, 41, 42, 43, 44,
	45, 46, 47,  48, 49, 5,	 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 6,  60, 61, 62,
	63, 64, 65,  66, 67, 68, 69, 7,	 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 8,  80,
	81, 82, 83,  84, 85, 86, 87, 88, 89, 9,	 90, 91, 92, 93, 94, 95, 96, 97, 98, 99};

#define MAX_IDS 100

static void many_ids(size_t nids, const unsigned *order, const char *expect_sig)
{
	static char names[MAX_IDS][16], values[MAX_IDS][24];
	sign_pair p[MAX_IDS + 9];
	char *expect = malloc(8192), *wire = malloc(8192), *sts = malloc(8192), sig[64];
	size_t n = 0, i, pos;
	int w;

	assert_non_null(expect);
	assert_non_null(wire);
	assert_non_null(sts);
	/* ids added in reverse so the sort has work to do */
	for (i = nids; i >= 1; i--) {
		snprintf(names[i - 1], sizeof(names[i - 1]), "InstanceId.%u", (unsigned)i);
		snprintf(values[i - 1], sizeof(values[i - 1]), "i-bp67acfmxazb4p%04u", (unsigned)i);
		p[n++] = P(names[i - 1], values[i - 1]);
	}
	p[n++] = P("Version", "2014-05-26");
	p[n++] = P("RegionId", "cn-hangzhou");
	p[n++] = P("Timestamp", "2016-02-23T12:46:24Z");
	p[n++] = P("SignatureVersion", "1.0");
	p[n++] = P("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf");
	p[n++] = P("SignatureMethod", "HMAC-SHA1");
	p[n++] = P("Format", "JSON");
	p[n++] = P("Action", "DescribeCloudAssistantStatus");
	p[n++] = P("AccessKeyId", "testid");

	/* the expected canonical query, by hand */
	w = snprintf(expect, 8192,
		     "AccessKeyId=testid&Action=DescribeCloudAssistantStatus"
		     "&Format=JSON");
	assert_true(w > 0);
	pos = (size_t)w;
	for (i = 0; i < nids; i++) {
		w = snprintf(expect + pos, 8192 - pos, "&InstanceId.%u=i-bp67acfmxazb4p%04u",
			     order[i], order[i]);
		assert_true(w > 0);
		pos += (size_t)w;
	}
	snprintf(expect + pos, 8192 - pos,
		 "&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1"
		 "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
		 "&Timestamp=2016-02-23T12%%3A46%%3A24Z&Version=2014-05-26");

	v1_sign("GET", p, n, SECRET, wire, 8192, sts, 8192);
	assert_memory_equal(wire, expect, strlen(expect));
	assert_memory_equal(wire + strlen(expect), "&Signature=", 11);
	wire_signature(wire, sig, sizeof(sig));
	assert_string_equal(sig, expect_sig);
	free(expect);
	free(wire);
	free(sts);
}

static void test_v1_50_and_100_ids(void **state)
{
	(void)state;
	/* precomputed: v1("GET", the parameters above, "testsecret") in Python */
	many_ids(50, ORDER50, "V3nEg51pzVSRzbah3WNBEh9Wjd4=");
	many_ids(100, ORDER100, "0dLRCy9ae3X8NGtDgJnvvBjj3Wg=");
}

/* ---------------------------------------------------------------------------------------- */
/* credentials edge cases                                                                    */

static void test_v1_security_token_signed(void **state)
{
	sign_pair p[CAS_N + 1];
	char wire[2048], sts[2048], sig[64];

	(void)state;
	cas_params(p);
	p[CAS_N] = P("SecurityToken", "CAIS+tok/en=v1 x~*");
	v1_sign("GET", p, CAS_N + 1, SECRET, wire, sizeof(wire), sts, sizeof(sts));
	/* sorted between RegionId and SignatureMethod, encoded once on the wire, twice in sts */
	assert_non_null(strstr(wire,
			       "&RegionId=cn-hangzhou"
			       "&SecurityToken=CAIS%2Btok%2Fen%3Dv1%20x~%2A&SignatureMethod="));
	assert_non_null(
		strstr(sts, "%26SecurityToken%3DCAIS%252Btok%252Fen%253Dv1%2520x~%252A%26"));
	wire_signature(wire, sig, sizeof(sig));
	/* precomputed with Python */
	assert_string_equal(sig, "Ju8GRWq/6TySQ9B6J/YESoMQbwg=");
}

static void test_v3_security_token_signed(void **state)
{
	sign_pair h[RUN_NH + 1];
	char auth[512], hashed[65];

	(void)state;
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	h[RUN_NH] = P("x-acs-security-token", "CAIS+tok/en=v3 x~*");
	v3_auth(h, RUN_NH + 1, RUN_QUERY, KEY_ID, V3_SECRET, auth, sizeof(auth), hashed);
	/* precomputed with Python */
	assert_string_equal(hashed,
			    "9ada1e4f4e6331bd1de86e4221bfb5fcb43f1dbdee705a948be71872a100899a");
	assert_string_equal(auth,
			    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
			    "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"
			    "x-acs-signature-nonce;x-acs-version,Signature="
			    "90b75ab0ef1988e4f8ee7e05bb74927d0a8f439c754d1e8c34929c588835c022");
}

/* A secret with every character that would break a naive "secret&" or URL-encoded key. */
static const char ODD_SECRET[] = "a+b/c=d&e%f~g*h i";

static void test_secret_special_characters(void **state)
{
	sign_pair p[8], h[RUN_NH];
	char wire[1024], sig[64], auth[512], hashed[65];

	(void)state;
	regions_params(p, "Timestamp");
	v1_sign("GET", p, 8, ODD_SECRET, wire, sizeof(wire), NULL, 0);
	wire_signature(wire, sig, sizeof(sig));
	/* precomputed with Python: key is the raw secret bytes followed by "&" */
	assert_string_equal(sig, "BJclsXq49dWA/ym6U7NtSI7E4K4=");

	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	v3_auth(h, RUN_NH, RUN_QUERY, KEY_ID, ODD_SECRET, auth, sizeof(auth), hashed);
	assert_string_equal(hashed, RUN_HASH); /* the secret does not enter the hash */
	/* precomputed with Python: key is the raw secret, no "&" */
	assert_string_equal(strstr(auth, ",Signature=") + 11,
			    "7c9fd3efc7d39bbb475ceac0d638c93080d3c778ba6d24b4ad53f5bf28c5eadb");
}

/* HMAC keys longer than the hash block are hashed first (RFC 2104); the signer handles keys up
 * to its internal key buffer (255 bytes + "&" for v1, 256 for V3) and refuses longer ones with
 * ECS_E_INPUT (sign.c comment; not in sign.h). */
static void test_long_secrets(void **state)
{
	char secret[301], sts[8] = "GET&%2F&", sig[64], auth[512];
	sign_pair p[8], h[RUN_NH];
	size_t len = 0;

	(void)state;
	memset(secret, 'k', 300);
	secret[300] = '\0';

	/* 255-byte secret: precomputed with Python, v1 over DescribeRegions */
	secret[255] = '\0';
	regions_params(p, "Timestamp");
	{
		char wire[1024];
		v1_sign("GET", p, 8, secret, wire, sizeof(wire), NULL, 0);
		wire_signature(wire, sig, sizeof(sig));
		assert_string_equal(sig, "UAqZWp2Kez+WQ/9hB6pECaySdgE=");
	}
	/* 256-byte secret: V3 works (precomputed with Python), v1 is refused */
	secret[255] = 'k';
	secret[256] = '\0';
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	v3_auth(h, RUN_NH, RUN_QUERY, KEY_ID, secret, auth, sizeof(auth), NULL);
	assert_string_equal(strstr(auth, ",Signature=") + 11,
			    "4fd4c64b3920bb29cdcc96abaf0ea777c876ad10c4ec1c35ee1d57c48acdc850");
	assert_int_equal(sign_v1_signature(secret, 256, sts, sizeof(sts), sig, sizeof(sig), &len),
			 ECS_E_INPUT);
	assert_int_equal(sign_v3_authorization("POST", "/", "", 0, h, RUN_NH, EMPTY_SHA256, KEY_ID,
					       strlen(KEY_ID), secret, 257, auth, sizeof(auth),
					       &len, NULL, sign_work, sizeof(sign_work)),
			 ECS_E_INPUT);
}

/* ---------------------------------------------------------------------------------------- */
/* V3 header handling                                                                        */

static void test_v3_header_case_trim_and_selection(void **state)
{
	static const char expect_cr[] =
		"POST\n/\n"
		"ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
		"content-type:application/x-www-form-urlencoded\n"
		"host:ecs.cn-shanghai.aliyuncs.com\n"
		"x-acs-action:RunInstances\n"
		"x-acs-content-sha256:" EMPTY_SHA256 "\n"
		"x-acs-date:2023-10-26T10:22:32Z\n"
		"x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
		"x-acs-version:2014-05-26\n"
		"\n"
		"content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;"
		"x-acs-signature-nonce;x-acs-version\n" EMPTY_SHA256;
	sign_pair h[10], tidy[7];
	char cr[2048], signed_list[256], auth[512], auth2[512], hashed[65];
	size_t len = 0;

	(void)state;
	h[0] = P("User-Agent", "ecs-ca-status/0.1");
	h[1] = P("X-Acs-Version", "2014-05-26");
	h[2] = P("Host", " ecs.cn-shanghai.aliyuncs.com ");
	h[3] = P("accept", "application/json");
	h[4] = P("x-acs-date", "\t2023-10-26T10:22:32Z");
	h[5] = P("X-ACS-Action", "RunInstances\t ");
	h[6] = P("Content-Type", "application/x-www-form-urlencoded");
	h[7] = P("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d");
	h[8] = P("x-acs-content-sha256", EMPTY_SHA256);
	h[9] = P("Connection", "keep-alive");
	assert_int_equal(sign_v3_canonical_request("POST", "/", RUN_QUERY, strlen(RUN_QUERY), h, 10,
						   EMPTY_SHA256, cr, sizeof(cr), &len, signed_list,
						   sizeof(signed_list)),
			 ECS_OK);
	assert_string_equal(cr, expect_cr);
	assert_string_equal(signed_list, "content-type;host;x-acs-action;x-acs-content-sha256;"
					 "x-acs-date;x-acs-signature-nonce;x-acs-version");
	assert_null(strstr(cr, "accept"));
	assert_null(strstr(cr, "user-agent"));
	assert_null(strstr(cr, "connection"));
	/* the caller's headers are not modified */
	assert_memory_equal(h[2].name, "Host", 4);
	assert_int_equal(h[2].value_len, strlen(" ecs.cn-shanghai.aliyuncs.com "));

	v3_auth(h, 10, RUN_QUERY, KEY_ID, V3_SECRET, auth, sizeof(auth), hashed);
	/* precomputed with Python */
	assert_string_equal(hashed,
			    "6c0371cf1587f97270f9931a56a5fe51bc23e257290c5e5ba8e9915700de2030");
	assert_string_equal(auth,
			    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders="
			    "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;"
			    "x-acs-signature-nonce;x-acs-version,Signature="
			    "d0e9980842f6e0c8c2e69c7916e0a7fd0405b419de872aa41f9f4862b616a64f");

	/* the same headers already lower-case, trimmed and sorted sign identically */
	tidy[0] = P("content-type", "application/x-www-form-urlencoded");
	run_headers(tidy + 1, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	v3_auth(tidy, 7, RUN_QUERY, KEY_ID, V3_SECRET, auth2, sizeof(auth2), NULL);
	assert_string_equal(auth, auth2);
}

static void test_v3_header_name_matching(void **state)
{
	sign_pair h[6];
	char cr[512], signed_list[128];
	size_t len = 0;

	(void)state;
	h[0] = P("hostname", "no");
	h[1] = P("x-acs", "no");
	h[2] = P("x-acsfoo", "no");
	h[3] = P("content-typex", "no");
	h[4] = P("X-ACS-Z", "yes");
	h[5] = P("HOST", "h");
	assert_int_equal(sign_v3_canonical_request("GET", "/", "", 0, h, 6, EMPTY_SHA256, cr,
						   sizeof(cr), &len, signed_list,
						   sizeof(signed_list)),
			 ECS_OK);
	assert_string_equal(cr, "GET\n/\n\nhost:h\nx-acs-z:yes\n\nhost;x-acs-z\n" EMPTY_SHA256);
	assert_string_equal(signed_list, "host;x-acs-z");

	/* no signed headers at all: empty list, still a blank line */
	assert_int_equal(sign_v3_canonical_request("GET", "/", "a=b", 3, h, 4, EMPTY_SHA256, cr,
						   sizeof(cr), &len, signed_list,
						   sizeof(signed_list)),
			 ECS_OK);
	assert_string_equal(cr, "GET\n/\na=b\n\n\n" EMPTY_SHA256);
	assert_string_equal(signed_list, "");

	/* a value of only blanks becomes empty */
	h[0] = P("host", " \t ");
	assert_int_equal(sign_v3_canonical_request("GET", "/", "", 0, h, 1, EMPTY_SHA256, cr,
						   sizeof(cr), &len, NULL, 0),
			 ECS_OK);
	assert_string_equal(cr, "GET\n/\n\nhost:\n\nhost\n" EMPTY_SHA256);
}

/* V3 over the real request of this project: query from sign_canonical_query. */
static void test_v3_cloud_assistant(void **state)
{
	sign_pair q[3], h[RUN_NH];
	char canon[256], auth[512], hashed[65];
	size_t clen = 0, len = 0;

	(void)state;
	q[0] = P("RegionId", "cn-hangzhou");
	q[1] = P("InstanceId.2", "i-bp11f7trr4hbi1****");
	q[2] = P("InstanceId.1", "i-bp1iudwa5b1tqa****");
	assert_int_equal(sign_canonical_query(q, 3, canon, sizeof(canon), &clen), ECS_OK);
	assert_string_equal(canon,
			    "InstanceId.1=i-bp1iudwa5b1tqa%2A%2A%2A%2A"
			    "&InstanceId.2=i-bp11f7trr4hbi1%2A%2A%2A%2A&RegionId=cn-hangzhou");
	h[0] = P("host", "ecs-cn-hangzhou.aliyuncs.com");
	h[1] = P("x-acs-action", "DescribeCloudAssistantStatus");
	h[2] = P("x-acs-content-sha256", EMPTY_SHA256);
	h[3] = P("x-acs-date", "2016-02-23T12:46:24Z");
	h[4] = P("x-acs-signature-nonce", "3ee8c1b83d3d44afa94f4e0ad82fd6cf");
	h[5] = P("x-acs-version", "2014-05-26");
	assert_int_equal(sign_v3_authorization("POST", "/", canon, clen, h, RUN_NH, EMPTY_SHA256,
					       "testid", 6, SECRET, strlen(SECRET), auth,
					       sizeof(auth), &len, hashed, sign_work,
					       sizeof(sign_work)),
			 ECS_OK);
	/* precomputed with Python */
	assert_string_equal(hashed,
			    "77c5313127a80085a1579f5d2e7420ea88ee73fd5960684ecae2fd5fae92c35e");
	assert_string_equal(strstr(auth, ",Signature=") + 11,
			    "de09b2e344cce01f7b594be1a3d4cb6fc999f2ae521ea1f62fee519290437989");
}

static void test_sha256_hex(void **state)
{
	char hex[65];

	(void)state;
	sign_sha256_hex("", 0, hex);
	assert_string_equal(hex, EMPTY_SHA256);
	sign_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---------------------------------------------------------------------------------------- */
/* buffer-too-small paths                                                                    */

typedef struct {
	const char *src;
	size_t len;
} enc_ctx;

static ecs_status call_pct_encode(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const enc_ctx *c = ctx;

	return sign_pct_encode(c->src, c->len, dst, cap, out_len);
}

static void test_nospace_pct_encode(void **state)
{
	enc_ctx c;

	(void)state;
	c.src = "";
	c.len = 0;
	check_caps(call_pct_encode, &c, "", 0);
	c.src = "abc";
	c.len = 3;
	check_caps(call_pct_encode, &c, "abc", 3);
	c.src = "*";
	c.len = 1;
	check_caps(call_pct_encode, &c, "%2A", 3);
	c.src = "a b*c~\xe4\xb8\xad/";
	c.len = 10;
	check_caps(call_pct_encode, &c, "a%20b%2Ac~%E4%B8%AD%2F", 22);
	c.src = "2016-02-23T12:46:24Z";
	c.len = 20;
	check_caps(call_pct_encode, &c, "2016-02-23T12%3A46%3A24Z", 24);
}

typedef struct {
	const sign_pair *p;
	size_t n;
} canon_ctx;

static ecs_status call_canonical_query(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const canon_ctx *c = ctx;
	sign_pair *copy = dup_pairs(c->p, c->n);
	ecs_status st = sign_canonical_query(copy, c->n, dst, cap, out_len);

	free(copy);
	return st;
}

static void test_nospace_canonical_query(void **state)
{
	sign_pair p[CAS_N];
	canon_ctx c;

	(void)state;
	cas_params(p);
	c.p = p;
	c.n = CAS_N;
	check_caps(call_canonical_query, &c, CAS_CANON, strlen(CAS_CANON));
	c.n = 0;
	check_caps(call_canonical_query, &c, "", 0);
	p[0] = P("k", "");
	c.n = 1;
	check_caps(call_canonical_query, &c, "k=", 2);
}

typedef struct {
	const char *method, *canon;
} sts_ctx;

static ecs_status call_string_to_sign(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const sts_ctx *c = ctx;

	return sign_v1_string_to_sign(c->method, c->canon, strlen(c->canon), dst, cap, out_len);
}

static void test_nospace_string_to_sign(void **state)
{
	sts_ctx c;

	(void)state;
	c.method = "GET";
	c.canon = REGIONS_CANON;
	check_caps(call_string_to_sign, &c, REGIONS_STS, strlen(REGIONS_STS));
	c.canon = "";
	check_caps(call_string_to_sign, &c, "GET&%2F&", 8);
}

static ecs_status call_v1_signature(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	(void)ctx;
	return sign_v1_signature(SECRET, strlen(SECRET), REGIONS_STS, strlen(REGIONS_STS), dst, cap,
				 out_len);
}

static void test_nospace_v1_signature(void **state)
{
	(void)state;
	check_caps(call_v1_signature, NULL, REGIONS_SIG, 28);
}

typedef struct {
	const char *method;
	const sign_pair *p;
	size_t n;
	const char *secret;
	char *sts; /* NULL: built in the tail of dst */
	size_t sts_cap;
} v1q_ctx;

static ecs_status call_v1_query(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const v1q_ctx *c = ctx;
	sign_pair *copy = dup_pairs(c->p, c->n);
	ecs_status st = sign_v1_query(c->method, copy, c->n, c->secret, strlen(c->secret), dst, cap,
				      out_len, c->sts, c->sts_cap);

	free(copy);
	return st;
}

static void test_nospace_v1_query(void **state)
{
	sign_pair p[8];
	char sts[1024];
	v1q_ctx c;
	size_t cap, i, need, total;
	char *buf;

	(void)state;
	regions_params(p, "Timestamp");
	c.method = "GET";
	c.p = p;
	c.n = 8;
	c.secret = SECRET;
	c.sts = sts;
	c.sts_cap = sizeof(sts);
	/* with an sts buffer, dst needs exactly the wire query + NUL */
	check_caps(call_v1_query, &c, REGIONS_WIRE, strlen(REGIONS_WIRE));

	/* the sts buffer: NOSPACE below strlen(sts) + 1, OK at it, nothing written past it */
	need = strlen(REGIONS_STS) + 1;
	total = need + 64;
	buf = malloc(total);
	assert_non_null(buf);
	for (cap = 0; cap <= need; cap++) {
		char wire[1024];
		size_t len = 0;
		ecs_status st;
		sign_pair copy[8];

		memcpy(copy, p, sizeof(copy));
		memset(buf, CANARY, total);
		st = sign_v1_query("GET", copy, 8, SECRET, strlen(SECRET), wire, sizeof(wire), &len,
				   buf, cap);
		if (cap < need) {
			if (st != ECS_E_NOSPACE)
				fail_msg("sts_cap %zu: status %d", cap, (int)st);
		} else {
			assert_int_equal(st, ECS_OK);
			assert_string_equal(buf, REGIONS_STS);
			assert_string_equal(wire, REGIONS_WIRE);
		}
		for (i = cap; i < total; i++)
			if (buf[i] != CANARY)
				fail_msg("sts_cap %zu: byte %zu written past cap", cap, i);
	}
	free(buf);

	/* without an sts buffer, dst needs canonical + NUL + string to sign + NUL (sign.h), which
	 * is more than the wire query: check that exact bound too. */
	c.sts = NULL;
	c.sts_cap = 0;
	need = strlen(REGIONS_CANON) + 1 + strlen(REGIONS_STS) + 1;
	assert_true(need > strlen(REGIONS_WIRE) + 1);
	total = need + 64;
	buf = malloc(total);
	assert_non_null(buf);
	for (cap = 0; cap <= need; cap++) {
		size_t len = 0;
		ecs_status st;

		memset(buf, CANARY, total);
		st = call_v1_query(&c, buf, cap, &len);
		if (cap < need) {
			if (st != ECS_E_NOSPACE)
				fail_msg("no-sts cap %zu (need %zu): status %d", cap, need,
					 (int)st);
		} else {
			assert_int_equal(st, ECS_OK);
			assert_int_equal(len, strlen(REGIONS_WIRE));
			assert_string_equal(buf, REGIONS_WIRE);
		}
		for (i = cap; i < total; i++)
			if (buf[i] != CANARY)
				fail_msg("no-sts cap %zu: byte %zu written past cap", cap, i);
	}
	free(buf);
}

typedef struct {
	const sign_pair *h;
	size_t nh;
	const char *query;
	char *signed_out;
	size_t signed_cap;
} v3_ctx;

static ecs_status call_v3_canonical_request(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const v3_ctx *c = ctx;

	return sign_v3_canonical_request("POST", "/", c->query, strlen(c->query), c->h, c->nh,
					 EMPTY_SHA256, dst, cap, out_len, c->signed_out,
					 c->signed_cap);
}

static ecs_status call_v3_authorization(const void *ctx, char *dst, size_t cap, size_t *out_len)
{
	const v3_ctx *c = ctx;

	return sign_v3_authorization("POST", "/", c->query, strlen(c->query), c->h, c->nh,
				     EMPTY_SHA256, KEY_ID, strlen(KEY_ID), V3_SECRET,
				     strlen(V3_SECRET), dst, cap, out_len, NULL, sign_work,
				     sizeof(sign_work));
}

static void test_nospace_v3(void **state)
{
	sign_pair h[RUN_NH];
	char signed_list[256], *buf;
	v3_ctx c;
	size_t need, total, cap, i;

	(void)state;
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	c.h = h;
	c.nh = RUN_NH;
	c.query = RUN_QUERY;
	c.signed_out = signed_list;
	c.signed_cap = sizeof(signed_list);
	check_caps(call_v3_canonical_request, &c, RUN_CR, strlen(RUN_CR));
	c.signed_out = NULL;
	c.signed_cap = 0;
	check_caps(call_v3_canonical_request, &c, RUN_CR, strlen(RUN_CR));
	check_caps(call_v3_authorization, &c, RUN_AUTH, strlen(RUN_AUTH));

	/* the signed-headers copy has its own capacity */
	need = strlen(RUN_SIGNED) + 1;
	total = need + 64;
	buf = malloc(total);
	assert_non_null(buf);
	for (cap = 0; cap <= need; cap++) {
		char cr[2048];
		size_t len = 0;
		ecs_status st;

		memset(buf, CANARY, total);
		st = sign_v3_canonical_request("POST", "/", RUN_QUERY, strlen(RUN_QUERY), h, RUN_NH,
					       EMPTY_SHA256, cr, sizeof(cr), &len, buf, cap);
		if (cap < need) {
			if (st != ECS_E_NOSPACE)
				fail_msg("signed_cap %zu: status %d", cap, (int)st);
		} else {
			assert_int_equal(st, ECS_OK);
			assert_string_equal(buf, RUN_SIGNED);
		}
		for (i = cap; i < total; i++)
			if (buf[i] != CANARY)
				fail_msg("signed_cap %zu: byte %zu written past cap", cap, i);
	}
	free(buf);
}

/* The V3 canonical request is built on the stack of sign_v3_authorization: an oversized
 * query is refused, never overflowed. */
static void test_v3_oversized_query(void **state)
{
	sign_pair h[RUN_NH];
	size_t qlen = 20000, len = 0;
	char *q = malloc(qlen + 1), auth[512];

	(void)state;
	assert_non_null(q);
	memset(q, 'a', qlen);
	q[qlen] = '\0';
	run_headers(h, "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
	assert_int_equal(sign_v3_authorization("POST", "/", q, qlen, h, RUN_NH, EMPTY_SHA256,
					       KEY_ID, strlen(KEY_ID), V3_SECRET, strlen(V3_SECRET),
					       auth, sizeof(auth), &len, NULL, sign_work,
					       sizeof(sign_work)),
			 ECS_E_NOSPACE);
	free(q);
}

/* ---------------------------------------------------------------------------------------- */
/* time, nonce                                                                               */

static void expect_time(int64_t t, const char *expect)
{
	char out[22];

	memset(out, CANARY, sizeof(out));
	sign_format_time(t, out);
	assert_string_equal(out, expect);
	assert_int_equal(out[21], CANARY);
}

static void test_format_time(void **state)
{
	(void)state;
	expect_time(0, "1970-01-01T00:00:00Z");
	expect_time(1456231584, "2016-02-23T12:46:24Z");
	expect_time(784111777, "1994-11-06T08:49:37Z");
	/* leap days (Python calendar.timegm) */
	expect_time(951825600, "2000-02-29T12:00:00Z");
	expect_time(951825600 + 12 * 3600, "2000-03-01T00:00:00Z");
	expect_time(1709251199, "2024-02-29T23:59:59Z");
	expect_time(1709251200, "2024-03-01T00:00:00Z");
	expect_time(4107542400 - 1, "2100-02-28T23:59:59Z"); /* 2100 is not a leap year */
	expect_time(-11670998400, "1600-02-29T00:00:00Z");
	/* 2038 and beyond 32-bit */
	expect_time(2147483647, "2038-01-19T03:14:07Z");
	expect_time(2147483648, "2038-01-19T03:14:08Z");
	expect_time(4294967296, "2106-02-07T06:28:16Z");
	/* negative */
	expect_time(-1, "1969-12-31T23:59:59Z");
	expect_time(-86400, "1969-12-31T00:00:00Z");
	expect_time(-86401, "1969-12-30T23:59:59Z");
	expect_time(-2208988800, "1900-01-01T00:00:00Z");
	expect_time(-62135596800, "0001-01-01T00:00:00Z");
	/* clamping */
	expect_time(-62167219200, "0000-01-01T00:00:00Z");
	expect_time(-62167219201, "0000-01-01T00:00:00Z");
	expect_time(INT64_MIN, "0000-01-01T00:00:00Z");
	expect_time(253402300799, "9999-12-31T23:59:59Z");
	expect_time(253402300800, "9999-12-31T23:59:59Z");
	expect_time(INT64_MAX, "9999-12-31T23:59:59Z");
}

static void test_nonce_hex(void **state)
{
	static const uint8_t rnd[16] = {0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
					0xef, 0xfe, 0xdc, 0xba, 0x98, 0x10, 0x7f, 0xff};
	uint8_t zero[16];
	char out[34];

	(void)state;
	memset(out, CANARY, sizeof(out));
	sign_nonce_hex(rnd, out);
	assert_string_equal(out, "000123456789abcdeffedcba98107fff");
	assert_int_equal(out[33], CANARY);
	memset(zero, 0, sizeof(zero));
	sign_nonce_hex(zero, out);
	assert_string_equal(out, "00000000000000000000000000000000");
}

/* The nonce path the client uses: port_random bytes -> sign_nonce_hex. (Also makes this test
 * link port_posix.o, which provides mbedtls_hardware_poll for the mbedTLS objects.) */
static void test_nonce_from_port_random(void **state)
{
	uint8_t rnd[16];
	char a[33], b[33];
	size_t i;

	(void)state;
	assert_int_equal(port_random(rnd, sizeof(rnd)), PORT_OK);
	sign_nonce_hex(rnd, a);
	assert_int_equal(port_random(rnd, sizeof(rnd)), PORT_OK);
	sign_nonce_hex(rnd, b);
	assert_int_equal(strlen(a), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP Date                                                                                 */

static int parse(const char *s, int64_t *t)
{
	return sign_parse_http_date(s, strlen(s), t);
}

static void expect_date(const char *s, int64_t want)
{
	int64_t t = -12345;

	if (parse(s, &t) != 0)
		fail_msg("\"%s\" rejected", s);
	if (t != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)t, (long long)want);
}

static void expect_bad_date(const char *s)
{
	int64_t t = -12345;

	if (parse(s, &t) != -1)
		fail_msg("\"%s\" accepted as %lld", s, (long long)t);
	assert_int_equal(t, -12345); /* *out untouched */
}

static void test_http_date_rfc9110_examples(void **state)
{
	(void)state;
	expect_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	expect_date("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	expect_date("Sun Nov  6 08:49:37 1994", 784111777);
	/* asctime with a two-digit day */
	expect_date("Thu Feb 29 00:00:00 2024", 1709164800);
	/* surrounding blanks (header OWS) are ignored */
	expect_date("  Sun, 06 Nov 1994 08:49:37 GMT \t", 784111777);
}

static void test_http_date_values(void **state)
{
	(void)state;
	expect_date("Thu, 01 Jan 1970 00:00:00 GMT", 0);
	expect_date("Tue, 23 Feb 2016 12:46:24 GMT", 1456231584);
	expect_date("Tue, 29 Feb 2000 12:00:00 GMT", 951825600);
	expect_date("Thu, 29 Feb 2024 23:59:59 GMT", 1709251199);
	expect_date("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648);
	expect_date("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799);
	expect_date("Mon, 01 Jan 1900 00:00:00 GMT", -2208988800);
	expect_date("Wed, 31 Dec 1969 23:59:59 GMT", -1);
	/* every month */
	expect_date("Sat, 31 Jan 2026 00:00:00 GMT", 1769817600);
	expect_date("Sat, 28 Feb 2026 00:00:00 GMT", 1772236800);
	expect_date("Tue, 31 Mar 2026 00:00:00 GMT", 1774915200);
	expect_date("Thu, 30 Apr 2026 00:00:00 GMT", 1777507200);
	expect_date("Sun, 31 May 2026 00:00:00 GMT", 1780185600);
	expect_date("Tue, 30 Jun 2026 00:00:00 GMT", 1782777600);
	expect_date("Fri, 31 Jul 2026 00:00:00 GMT", 1785456000);
	expect_date("Mon, 31 Aug 2026 00:00:00 GMT", 1788134400);
	expect_date("Wed, 30 Sep 2026 00:00:00 GMT", 1790726400);
	expect_date("Sat, 31 Oct 2026 00:00:00 GMT", 1793404800);
	expect_date("Mon, 30 Nov 2026 00:00:00 GMT", 1795996800);
	expect_date("Thu, 31 Dec 2026 00:00:00 GMT", 1798675200);
	/* RFC 850 two-digit years: 70..99 -> 19xx, 00..69 -> 20xx */
	expect_date("Thursday, 01-Jan-70 00:00:00 GMT", 0);
	expect_date("Tuesday, 23-Feb-16 12:46:24 GMT", 1456231584);
	expect_date("Tuesday, 01-Jan-69 00:00:00 GMT", 3124224000);
	/* counted string: bytes after len are not read */
	{
		int64_t t = 0;
		const char *s = "Sun, 06 Nov 1994 08:49:37 GMTXYZ";
		assert_int_equal(sign_parse_http_date(s, strlen(s) - 3, &t), 0);
		assert_int_equal(t, 784111777);
	}
}

static void test_http_date_rejects(void **state)
{
	(void)state;
	expect_bad_date("");
	expect_bad_date(" ");
	expect_bad_date("garbage");
	expect_bad_date("Sun, garbage");
	expect_bad_date("Sun, 06 Foo 1994 08:49:37 GMT"); /* bad month */
	expect_bad_date("Sun, 06 nov 1994 08:49:37 GMT"); /* month names are case-sensitive */
	expect_bad_date("Sun, 30 Feb 2024 08:49:37 GMT"); /* Feb 30 */
	expect_bad_date("Sun, 29 Feb 2023 08:49:37 GMT"); /* not a leap year */
	expect_bad_date("Sun, 29 Feb 1900 08:49:37 GMT"); /* century, not a leap year */
	expect_bad_date("Sun, 31 Apr 2024 08:49:37 GMT");
	expect_bad_date("Sun, 00 Nov 1994 08:49:37 GMT");
	expect_bad_date("Sun, 32 Jan 1994 08:49:37 GMT");
	expect_bad_date("Sun, 06 Nov 1994 24:00:00 GMT");
	expect_bad_date("Sun, 06 Nov 1994 08:60:37 GMT");
	expect_bad_date("Sun, 06 Nov 1994 08:49:61 GMT");
	expect_bad_date("Sun, 06 Nov 1994 08:49:37 GMT junk"); /* trailing junk */
	expect_bad_date("Sun, 06 Nov 1994 08:49:37 GMTX");
	expect_bad_date("Sun, 06 Nov 1994 08:49:37 UTC");
	expect_bad_date("Sun, 06 Nov 1994 08:49:37 +0000");
	expect_bad_date("Sun, 6 Nov 1994 08:49:37 GMT");
	expect_bad_date("Sun, 06 Nov 94 08:49:37 GMT");
	expect_bad_date("Sun, 06 Nov 1994 8:49:37 GMT");
	expect_bad_date("Sun,06 Nov 1994 08:49:37 GMT");
	expect_bad_date("Sun, 06  Nov 1994 08:49:37 GMT");
	expect_bad_date("Sun, 0x Nov 1994 08:49:37 GMT");
	expect_bad_date("Sun, -6 Nov 1994 08:49:37 GMT");
	expect_bad_date("Sunday, 06-Nov-1994 08:49:37 GMT");
	expect_bad_date("Sunday, 31-Nov-94 08:49:37 GMT");
	expect_bad_date("Sunday, 06-Nov-94 08:49:37 GMT x");
	expect_bad_date("Sun Nov  6 08:49:37 1994 x");
	expect_bad_date("Sun Nov 6 08:49:37 1994");
	expect_bad_date("Sun Nov  6 08:49:37 94");
	expect_bad_date("Sun Feb 30 08:49:37 1994");
	expect_bad_date("Sun Nox  6 08:49:37 1994");
	expect_bad_date("Sun Nov  6 08:49 1994");
	{
		int64_t t = -12345;
		/* an embedded NUL inside the counted length */
		assert_int_equal(sign_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT\0", 30, &t),
				 -1);
		assert_int_equal(sign_parse_http_date("Sun, 06 Nov\0 1994 08:49:37 GMT", 30, &t),
				 -1);
		assert_int_equal(t, -12345);
	}
}

/* Every proper prefix of each valid form is rejected; reading never goes past len (the prefix
 * is copied into an exact-size heap block so ASan would see an over-read). */
static void test_http_date_truncated(void **state)
{
	static const char *const forms[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
					    "Sunday, 06-Nov-94 08:49:37 GMT",
					    "Sun Nov  6 08:49:37 1994", "Thu Feb 29 00:00:00 2024"};
	size_t f, n;

	(void)state;
	for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		size_t full = strlen(forms[f]);
		for (n = 0; n <= full; n++) {
			char *copy = malloc(n > 0 ? n : 1);
			int64_t t = -12345;
			int rc;

			assert_non_null(copy);
			memcpy(copy, forms[f], n);
			rc = sign_parse_http_date(copy, n, &t);
			free(copy);
			if (n < full && rc != -1)
				fail_msg("prefix %zu of \"%s\" accepted as %lld", n, forms[f],
					 (long long)t);
			if (n == full && rc != 0)
				fail_msg("\"%s\" rejected", forms[f]);
		}
	}
}

/* format_time and parse_http_date agree over a range of instants. */
static void test_http_date_roundtrip(void **state)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	/* 1970-01-01 was a Thursday */
	static const char *const wday[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	int64_t t;

	(void)state;
	for (t = -2208988800; t < 4200000000; t += 7777777) {
		char iso[21], http[40];
		int y, m, d, hh, mm, ss;
		int64_t back = 0, days = (t >= 0 ? t : t - 86399) / 86400;

		sign_format_time(t, iso);
		assert_int_equal(sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &m, &d, &hh, &mm, &ss),
				 6);
		snprintf(http, sizeof(http), "%s, %02d %s %04d %02d:%02d:%02d GMT",
			 wday[((days % 7) + 7) % 7], d, mon[m - 1], y, hh, mm, ss);
		assert_int_equal(parse(http, &back), 0);
		assert_int_equal(back, t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_describe_regions_steps),
		cmocka_unit_test(test_v1_describe_regions_query),
		cmocka_unit_test(test_v1_timestamp_pitfall),
		cmocka_unit_test(test_v1_describe_dedicated_hosts),
		cmocka_unit_test(test_v1_cloud_assistant_get_post),
		cmocka_unit_test(test_v3_run_instances_canonical_request),
		cmocka_unit_test(test_v3_run_instances_authorization),
		cmocka_unit_test(test_v3_run_instances_doc_table_pitfall),
		cmocka_unit_test(test_pct_encode_every_byte),
		cmocka_unit_test(test_pct_encode_specials),
		cmocka_unit_test(test_canonical_query_edges),
		cmocka_unit_test(test_v1_50_and_100_ids),
		cmocka_unit_test(test_v1_security_token_signed),
		cmocka_unit_test(test_v3_security_token_signed),
		cmocka_unit_test(test_secret_special_characters),
		cmocka_unit_test(test_long_secrets),
		cmocka_unit_test(test_v3_header_case_trim_and_selection),
		cmocka_unit_test(test_v3_header_name_matching),
		cmocka_unit_test(test_v3_cloud_assistant),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_nospace_pct_encode),
		cmocka_unit_test(test_nospace_canonical_query),
		cmocka_unit_test(test_nospace_string_to_sign),
		cmocka_unit_test(test_nospace_v1_signature),
		cmocka_unit_test(test_nospace_v1_query),
		cmocka_unit_test(test_nospace_v3),
		cmocka_unit_test(test_v3_oversized_query),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_nonce_hex),
		cmocka_unit_test(test_nonce_from_port_random),
		cmocka_unit_test(test_http_date_rfc9110_examples),
		cmocka_unit_test(test_http_date_values),
		cmocka_unit_test(test_http_date_rejects),
		cmocka_unit_test(test_http_date_truncated),
		cmocka_unit_test(test_http_date_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
