/*
 * A small vsnprintf for the static release build. musl's printf core brings its floating-point
 * formatting (about 10 KB of code) into every static binary that calls snprintf; this program
 * and mbedTLS format only integers, characters, strings and pointers. port_vformat() is the
 * formatter (C99 semantics for the conversions d i u o x X c s p %, the flags - 0 + space #,
 * width and precision as numbers or *, the lengths hh h l ll z j t); with ECS_TINY_PRINTF it
 * also takes the place of libc's snprintf and vsnprintf. A floating-point conversion is written
 * as "?" rather than read wrongly from the argument list (none is used).
 */
#include "port.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	char *dst;
	size_t cap, len; /* len counts every byte, also those past cap */
} fmt_out;

static void emit(fmt_out *o, char c, size_t n)
{
	for (; n > 0; n--, o->len++)
		if (o->len + 1 < o->cap)
			o->dst[o->len] = c;
}

static void emit_str(fmt_out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->cap)
			o->dst[o->len] = s[i];
}

typedef struct {
	int left, zero, plus, space, alt;
	int width, prec; /* -1 = none */
	int len;	 /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
} spec;

/* Digits of v in base into the end of buf; returns where they start. */
static char *digits(uintmax_t v, unsigned base, int upper, char *end)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		*--end = d[v % base];
		v /= base;
	} while (v != 0);
	return end;
}

/* neg: -1 for a negative signed value, 1 for another signed one, 0 for an unsigned one ('+' and
 * ' ' apply to signed conversions only). */
static void emit_num(fmt_out *o, const spec *sp, uintmax_t v, int neg, unsigned base, int upper)
{
	char buf[sizeof(uintmax_t) * 3 + 4], *end = buf + sizeof(buf), *p;
	char sign = neg < 0 ? '-' : neg == 0 ? 0 : sp->plus ? '+' : sp->space ? ' ' : 0;
	const char *pre = "";
	size_t nd, zeros = 0, total;

	p = (v == 0 && sp->prec == 0) ? end : digits(v, base, upper, end);
	nd = (size_t)(end - p);
	if (sp->prec >= 0 && (size_t)sp->prec > nd)
		zeros = (size_t)sp->prec - nd;
	if (sp->alt && base == 8 && zeros == 0 && (nd == 0 || *p != '0'))
		zeros = 1;
	if (sp->alt && base == 16 && v != 0)
		pre = upper ? "0X" : "0x";
	total = nd + zeros + strlen(pre) + (sign != 0);
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > 0 && (size_t)sp->width > total)
		zeros += (size_t)sp->width - total, total = (size_t)sp->width;
	if (!sp->left && sp->width > 0 && (size_t)sp->width > total)
		emit(o, ' ', (size_t)sp->width - total);
	if (sign)
		emit(o, sign, 1);
	emit_str(o, pre, strlen(pre));
	emit(o, '0', zeros);
	emit_str(o, p, nd);
	if (sp->left && sp->width > 0 && (size_t)sp->width > total)
		emit(o, ' ', (size_t)sp->width - total);
}

static void emit_padded(fmt_out *o, const spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > 0 && (size_t)sp->width > n ? (size_t)sp->width - n : 0;

	if (!sp->left)
		emit(o, ' ', pad);
	emit_str(o, s, n);
	if (sp->left)
		emit(o, ' ', pad);
}

/* Flags, width, precision and length of the spec at *f (after the '%'). */
static const char *parse_spec(const char *f, spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	sp->width = sp->prec = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else if (*f == '+')
			sp->plus = 1;
		else if (*f == ' ')
			sp->space = 1;
		else if (*f == '#')
			sp->alt = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0)
			sp->left = 1, sp->width = sp->width == INT_MIN ? INT_MAX : -sp->width;
		f++;
	} else {
		for (; *f >= '0' && *f <= '9'; f++)
			sp->width = (sp->width < 0 ? 0 : sp->width) * 10 + (*f - '0');
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		} else {
			for (; *f >= '0' && *f <= '9'; f++)
				sp->prec = sp->prec * 10 + (*f - '0');
		}
	}
	if (f[0] == 'h' && f[1] == 'h')
		sp->len = 'H', f += 2;
	else if (f[0] == 'l' && f[1] == 'l')
		sp->len = 'L', f += 2;
	else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 'j' || *f == 't')
		sp->len = *f++;
	return f;
}

static intmax_t signed_arg(const spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
	case 't':
		return va_arg(*ap, ptrdiff_t);
	case 'j':
		return va_arg(*ap, intmax_t);
	}
	return va_arg(*ap, int);
}

static uintmax_t unsigned_arg(const spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
	case 't':
		return va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, uintmax_t);
	}
	return va_arg(*ap, unsigned);
}

/* One conversion c of spec sp. */
static void convert(fmt_out *o, const spec *sp, char c, va_list *ap)
{
	intmax_t sv;
	const char *s;
	char ch;
	size_t n;

	switch (c) {
	case 'd':
	case 'i':
		sv = signed_arg(sp, ap);
		emit_num(o, sp, sv < 0 ? (uintmax_t)0 - (uintmax_t)sv : (uintmax_t)sv,
			 sv < 0 ? -1 : 1, 10, 0);
		return;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		emit_num(o, sp, unsigned_arg(sp, ap), 0,
			 c == 'u'   ? 10
			 : c == 'o' ? 8
				    : 16,
			 c == 'X');
		return;
	case 'p': {
		spec ps = *sp;
		ps.alt = 1;
		emit_num(o, &ps, (uintptr_t)va_arg(*ap, void *), 0, 16, 0);
		return;
	}
	case 'c':
		ch = (char)va_arg(*ap, int);
		emit_padded(o, sp, &ch, 1);
		return;
	case 's':
		s = va_arg(*ap, const char *);
		if (s == NULL)
			s = "(null)";
		n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
		emit_padded(o, sp, s, n);
		return;
	case '%':
		emit(o, '%', 1);
		return;
	}
	emit(o, '?', 1); /* floating point or an unknown conversion */
	if (c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G' || c == 'a' ||
	    c == 'A')
		(void)va_arg(*ap, double);
}

int port_vformat(char *dst, size_t cap, const char *f, va_list ap_in)
{
	fmt_out o = {dst, cap, 0};
	va_list ap;

	va_copy(ap, ap_in);
	while (*f != '\0') {
		const char *pct = strchr(f, '%');
		spec sp;
		if (pct == NULL) {
			emit_str(&o, f, strlen(f));
			break;
		}
		emit_str(&o, f, (size_t)(pct - f));
		f = parse_spec(pct + 1, &sp, &ap);
		if (*f == '\0')
			break;
		convert(&o, &sp, *f++, &ap);
	}
	va_end(ap);
	if (cap > 0)
		dst[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len > INT_MAX ? -1 : (int)o.len;
}

#if defined(ECS_TINY_PRINTF)
int vsnprintf(char *restrict dst, size_t cap, const char *restrict f, va_list ap)
{
	return port_vformat(dst, cap, f, ap);
}

int snprintf(char *restrict dst, size_t cap, const char *restrict f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = port_vformat(dst, cap, f, ap);
	va_end(ap);
	return n;
}
#endif
