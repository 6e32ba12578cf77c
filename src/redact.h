/*
 * Removes known secrets from text that came from elsewhere (a server's error message, a
 * record field) before it is printed or traced. A server may echo what it was sent: ECS's
 * SignatureDoesNotMatch message quotes its string-to-sign, which holds the SecurityToken
 * percent-encoded once (V3 canonical headers) or twice (RPC v1).
 */
#ifndef ECS_REDACT_H
#define ECS_REDACT_H

#include <stddef.h>

#define REDACT_MARK "<redacted>"

/* Replaces every occurrence in s (NUL-terminated, buffer of cap bytes) of each non-empty
 * secret in secrets[0..n) - raw, percent-encoded once or twice (either hex case), or
 * form-encoded (space as '+') - with REDACT_MARK. The result is cut to fit cap (a cut never
 * leaves part of a secret: the text after a mark is dropped rather than the mark). Returns
 * the number of replacements. NULL entries are skipped. */
size_t redact_text(char *s, size_t cap, const char *const *secrets, size_t n);

/* For text that was cut: drops a tail of s that is the start of a secret (in any of the
 * encodings above; even one byte, so a cut text may lose a few bytes more than needed),
 * so that no part of a secret survives the cut. Returns the new length. */
size_t redact_tail(char *s, const char *const *secrets, size_t n);

#endif
