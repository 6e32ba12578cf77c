/*
 * DNS for the stub resolver: pure functions over caller buffers, no OS calls, so that all of
 * it is unit-tested and fuzzed (tests/fuzz/fuzz_dns.c). Everything a nameserver or a file
 * sends is hostile: every read is bounded, compression pointers must point backwards (so a
 * name always ends), and an answer that is not for our question is ignored, not trusted.
 * port/posix/resolv.c does the sockets, the files and the deadline.
 */
#ifndef ECS_DNS_H
#define ECS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "ecs_limits.h"

#define DNS_T_A	   1
#define DNS_T_AAAA 28

#define DNS_RC_NOERROR	0
#define DNS_RC_SERVFAIL 2
#define DNS_RC_NXDOMAIN 3
#define DNS_RC_REFUSED	5

/* An IPv4 (family 4, first 4 bytes) or IPv6 (family 6) address. */
typedef struct {
	uint8_t family;
	uint8_t b[16];
} dns_addr;

/* What /etc/resolv.conf says (the parts a stub resolver uses). */
typedef struct {
	dns_addr ns[ECS_DNS_NS_MAX];
	unsigned nns;
	char search[ECS_DNS_SEARCH_MAX][ECS_HOST_MAX];
	unsigned nsearch;
	unsigned ndots, timeout_s, attempts; /* clamped like glibc: 15, 30, 5 */
} dns_conf;

/* Defaults of glibc and musl: ndots 1, timeout 5 s, attempts 2, no nameserver. */
void dns_conf_init(dns_conf *c);
/* Applies one line (without its newline) of resolv.conf: nameserver, search, domain,
 * options ndots:N timeout:N attempts:N. Unknown or malformed lines are ignored, as every
 * libc does; nameservers past ECS_DNS_NS_MAX and search domains past the limits too. */
void dns_conf_line(dns_conf *c, const char *line, size_t len);

/* Parses an IPv4 dotted quad or an IPv6 literal (no brackets, no zone) of len bytes.
 * Returns 1 and fills a, or 0. */
int dns_parse_ip(const char *s, size_t len, dns_addr *a);

/* One line of /etc/hosts: when name (any case) is the canonical name or an alias, appends the
 * address to out[*n] (cap entries; duplicates and overflow dropped). Returns 1 on a match. */
int dns_hosts_line(const char *line, size_t len, const char *name, dns_addr *out, size_t cap,
		   size_t *n);

/* 1 if name can be asked for: 1..253 bytes, labels 1..63 bytes of printable ASCII other than
 * space, an optional final dot. */
int dns_name_ok(const char *name);

/* Writes a standard recursive query for name/qtype with id into buf (cap bytes). Returns the
 * length, or 0 when the name is not valid or does not fit. */
size_t dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

typedef enum {
	DNS_REPLY_OK = 0, /* an answer to our question (see rcode, truncated, addresses) */
	DNS_REPLY_OTHER,  /* not an answer to our question: ignore it and keep waiting */
	DNS_REPLY_BAD	  /* our question, but the message is malformed */
} dns_reply_status;

typedef struct {
	unsigned rcode;
	int truncated; /* TC set: ask again over TCP; no records were read */
	dns_addr addr[ECS_DNS_ADDR_MAX];
	size_t naddr;
} dns_reply;

/* Parses msg (len bytes) as the answer to the query (id, name, qtype). Collects the records
 * of qtype for name or for the CNAME chain that starts there, in answer order. */
dns_reply_status dns_parse_reply(const uint8_t *msg, size_t len, uint16_t id, const char *name,
				 uint16_t qtype, dns_reply *r);

/* Formats a as text (at least 46 bytes of out). */
void dns_addr_text(const dns_addr *a, char *out, size_t cap);

#endif
