/* The credential chain: which source, in what order (credentials-go's default chain), and
 * the refresh of temporary credentials before they expire. The sources and parsers live in
 * the other creds_*.c files. */
#include "creds.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "port.h"

#define STEPS 8 /* entries of the "tried" list */

/* The environment's keys, each with its aliases (credentials-go's): id, secret, token. */
static const char *const ENV_KEYS[] = {"ALIBABA_CLOUD_ACCESS_KEY_ID",
				       "ALIBABACLOUD_ACCESS_KEY_ID",
				       "ALICLOUD_ACCESS_KEY_ID",
				       "ALICLOUD_ACCESS_KEY",
				       "ACCESS_KEY_ID",
				       "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
				       "ALIBABACLOUD_ACCESS_KEY_SECRET",
				       "ALICLOUD_ACCESS_KEY_SECRET",
				       "ALICLOUD_SECRET_KEY",
				       "ACCESS_KEY_SECRET",
				       "ALIBABA_CLOUD_SECURITY_TOKEN",
				       "ALIBABACLOUD_SECURITY_TOKEN",
				       "ALICLOUD_SECURITY_TOKEN",
				       "SECURITY_TOKEN"};
static const unsigned char ENV_FIRST[4] = {0, 5, 10, 14}; /* where each list starts */
static const cr_field ENV_DST[3] = {CR_FIELD(creds, "", key_id), CR_FIELD(creds, "", secret),
				    CR_FIELD(creds, "", token)};
static const char *const ENV_PROFILE[] = {"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE",
					  "ALICLOUD_PROFILE"};
/* OIDC from the environment: the three it needs, then the optional session name. */
static const cr_field ENV_OIDC[4] = {
	CR_FIELD(creds_profile, "ALIBABA_CLOUD_ROLE_ARN", role.role_arn),
	CR_FIELD(creds_profile, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", oidc_provider_arn),
	CR_FIELD(creds_profile, "ALIBABA_CLOUD_OIDC_TOKEN_FILE", oidc_token_file),
	CR_FIELD(creds_profile, "ALIBABA_CLOUD_ROLE_SESSION_NAME", role.session)};
static const char MD_OFF[] = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";

/* The reasons of the sources tried, for the final "no credentials" message. */
typedef struct {
	char why[STEPS][CREDS_WHY_MAX];
	size_t n;
} tried;

/* One run of the chain. */
typedef struct {
	creds *c;
	const creds_opts *o;
	creds_work *w;
	const char *explicit_prof; /* --profile */
	const char *prof;	   /* --profile, else ALIBABA_CLOUD_PROFILE and aliases */
	creds_step only;	   /* a refresh: just this step */
	tried t;
	int file_absent[2]; /* read, but the profile / section is not in it */
	char file_why[2][CREDS_WHY_MAX];
	char file_shown[2][100]; /* the paths, shortened */
	/* What of w this run wrote, to wipe just that: pages never touched stay out of the RSS. */
	size_t file_used, links_used;
	int prof_used, base_used;
	ecs_err *err;
} chain;

static void tried_add(tried *t, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void tried_add(tried *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->n >= STEPS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->why[t->n], CREDS_WHY_MAX, fmt, ap);
	va_end(ap);
	if (n >= CREDS_WHY_MAX)
		memcpy(t->why[t->n] + CREDS_WHY_MAX - 4, "...", 4);
	t->n++;
}

/* "no credentials found: A; B; C. Set ..." within ECS_ERR_MSG_MAX: the longest reasons are
 * shortened first, with "...". */
static ecs_status no_creds(tried *t, ecs_err *err)
{
	static const char head[] = "no credentials found: ";
	static const char tail[] = ". Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
				   "ALIBABA_CLOUD_ACCESS_KEY_SECRET, or see --help.";
	char list[ECS_ERR_MSG_MAX];
	size_t budget = ECS_ERR_MSG_MAX - 1 - (sizeof(head) - 1) - (sizeof(tail) - 1), total, i;
	size_t o = 0;

	for (;;) {
		size_t longest = 0, li = 0;
		total = 0;
		for (i = 0; i < t->n; i++) {
			size_t l = strlen(t->why[i]);
			total += l + (i > 0 ? 2 : 0);
			if (l > longest) {
				longest = l;
				li = i;
			}
		}
		if (total <= budget || longest <= 24)
			break;
		{
			size_t cut = longest - (total - budget) - 3;
			if (total - budget + 3 > longest - 24)
				cut = 21;
			memcpy(t->why[li] + cut, "...", 4);
		}
	}
	list[0] = '\0';
	for (i = 0; i < t->n; i++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%s", i > 0 ? "; " : "", t->why[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - o)
			break;
		o += (size_t)w;
	}
	return err_set(err, ECS_E_CREDS, "%s%s%s", head, list, tail);
}

/* ---- 1. environment keys ---- */

static ecs_status step_env(chain *ch, int *got)
{
	const char *v[3], *var[3];
	creds *c = ch->c;
	size_t i, k;
	ecs_status st;

	for (i = 0; i < 3; i++)
		v[i] = cr_env_first(ENV_KEYS + ENV_FIRST[i], ENV_FIRST[i + 1] - ENV_FIRST[i],
				    &var[i]);
	k = v[0] == NULL;
	if (v[1] == NULL ? !k : k) /* one of the pair */
		return err_set(ch->err, ECS_E_CREDS,
			       "%s is set but %s is not; set both (or neither)", var[k], var[!k]);
	if (k) {
		tried_add(&ch->t, "%s (%s not set)", "environment", ENV_KEYS[0]);
		cr_trace(ch->o, "environment: %s not set", ENV_KEYS[0]);
		return ECS_OK;
	}
	for (i = 0; i < 3; i++)
		if (v[i] != NULL && (st = cr_env_copy(var[i], v[i], (char *)c + ENV_DST[i].off,
						      ENV_DST[i].cap, ch->err)) != ECS_OK)
			return st;
	snprintf(c->source, sizeof(c->source), "environment (%s%s%s)", var[0], v[2] ? ", " : "",
		 v[2] ? var[2] : "");
	*got = 1;
	return ECS_OK;
}

/* ---- 2. OIDC from the environment (RRSA) ---- */

static ecs_status step_oidc_env(chain *ch, int *got)
{
	creds_profile *p = &ch->w->prof;
	const char *v[4];
	int set = 0, i;
	ecs_status st;

	for (i = 0; i < 4; i++) {
		v[i] = port_getenv(ENV_OIDC[i].key);
		set += i < 3 && v[i] != NULL && v[i][0] != '\0';
	}
	if (set == 0) {
		tried_add(&ch->t, "%s (%s not set)", "OIDC", ENV_OIDC[0].key);
		return ECS_OK;
	}
	for (i = 0; set < 3 && i < 3; i++)
		if (v[i] == NULL || v[i][0] == '\0')
			return err_set(
				ch->err, ECS_E_CREDS,
				"OIDC from the environment is half configured: %s is not set "
				"(it needs %s, %s and %s)",
				ENV_OIDC[i].key, ENV_OIDC[0].key, ENV_OIDC[1].key, ENV_OIDC[2].key);
	ch->prof_used = 1;
	cr_wipe(p, sizeof(*p));
	for (i = 0; i < 4; i++)
		if (v[i] != NULL &&
		    (st = cr_env_copy(ENV_OIDC[i].key, v[i], (char *)p + ENV_OIDC[i].off,
				      ENV_OIDC[i].cap, ch->err)) != ECS_OK)
			return st;
	snprintf(p->role.label, sizeof(p->role.label), "OIDC from the environment");
	st = creds_sts_oidc(&ch->w->net, &p->role, p->oidc_provider_arn, p->oidc_token_file, ch->o,
			    ch->c, ch->err);
	if (st != ECS_OK)
		return st;
	snprintf(ch->c->source, sizeof(ch->c->source), "OIDC role %.100s (environment)",
		 p->role.role_arn);
	*got = 1;
	return ECS_OK;
}

/* ---- 3. and 4. the files ---- */

/* A profile's credentials into out, for every mode but ChainableRamRoleArn. */
static ecs_status obtain_single(chain *ch, const creds_profile *p, creds *out)
{
	creds_net *n = &ch->w->net;
	char why[CREDS_WHY_MAX];
	cr_keys k;

	switch (p->mode) {
	case CREDS_M_AK:
	case CREDS_M_STS:
		memcpy(out->key_id, p->key_id, sizeof(out->key_id));
		memcpy(out->secret, p->secret, sizeof(out->secret));
		memcpy(out->token, p->token, sizeof(out->token));
		return ECS_OK;
	case CREDS_M_RAM_ROLE:
		k.id = p->key_id;
		k.secret = p->secret;
		k.token = p->token;
		return creds_sts_assume(n, &p->role, &k, ch->o, out, ch->err);
	case CREDS_M_ECS_ROLE:
		if (cr_disabled(MD_OFF, p->label, "asks for the ECS RAM role", ch->err))
			return ECS_E_CREDS;
		if (creds_meta_get(n, p->ram_role, ch->o, out, why, sizeof(why), ch->err) !=
		    ECS_OK) {
			err_prefix(ch->err, "%s", p->label);
			return ch->err->status;
		}
		return ECS_OK;
	case CREDS_M_OIDC:
		return creds_sts_oidc(n, &p->role, p->oidc_provider_arn, p->oidc_token_file, ch->o,
				      out, ch->err);
	case CREDS_M_URI:
		if (cr_disabled(CR_NO_PROCESS, p->label, "uses a credentials URI", ch->err))
			return ECS_E_CREDS;
		return creds_uri_get(n, p->uri, p->label, ch->o, out, ch->err);
	case CREDS_M_EXTERNAL:
		return creds_proc_get(ch->w, p->command, p->label, ch->o, out, ch->err);
	default:
		return err_set(ch->err, ECS_E_INTERNAL, "%s: no way to obtain credentials",
			       p->label);
	}
}

/* ChainableRamRoleArn: follows source_profile to a profile of another mode, remembering each
 * role; cycles and over-long chains are errors. w->prof ends as the chain's base. */
static ecs_status follow_chain(chain *ch, const char *path, size_t *depth)
{
	creds_work *w = ch->w;
	char shown[64];
	size_t k;
	ecs_status st;

	*depth = 0;
	memcpy(w->seen[0], w->prof.name, sizeof(w->seen[0]));
	while (w->prof.mode == CREDS_M_CHAIN) {
		char *src = w->seen[*depth + 1]; /* parsing wipes w->prof */
		if (*depth == ECS_ROLE_CHAIN_MAX)
			return err_set(ch->err, ECS_E_CREDS,
				       "%s: more than %d chained roles (source_profile)",
				       w->prof.label, ECS_ROLE_CHAIN_MAX);
		w->link[*depth] = w->prof.role;
		ch->links_used = *depth + 1;
		memcpy(src, w->prof.source_profile, sizeof(w->seen[0]));
		cr_show(shown, sizeof(shown), src, strlen(src));
		for (k = 0; k <= *depth; k++)
			if (strcmp(w->seen[k], src) == 0)
				return err_set(ch->err, ECS_E_CREDS,
					       "%s: source_profile '%s' makes a cycle",
					       w->prof.label, shown);
		(*depth)++;
		st = creds_parse_cli_config(w->file, strlen(w->file), src, path, w->toks,
					    ECS_CREDS_JSON_TOKENS, &w->prof, ch->err);
		if (st != ECS_OK) {
			err_prefix(ch->err, "source_profile '%s' of %s", shown,
				   w->link[*depth - 1].label);
			return st == ECS_E_CREDS && w->prof.missing ? ECS_E_CREDS : st;
		}
	}
	return ECS_OK;
}

static ecs_status obtain_chain(chain *ch, const char *path)
{
	creds_work *w = ch->w;
	size_t depth = 0, i;
	cr_keys k;
	ecs_status st;

	ch->base_used = 1;
	if ((st = follow_chain(ch, path, &depth)) != ECS_OK ||
	    (st = obtain_single(ch, &w->prof, &w->base)) != ECS_OK)
		return st;
	for (i = depth; i-- > 0;) {
		k.id = w->base.key_id;
		k.secret = w->base.secret;
		k.token = w->base.token;
		st = creds_sts_assume(&w->net, &w->link[i], &k, ch->o, ch->c, ch->err);
		if (st != ECS_OK)
			return st;
		if (i > 0)
			memcpy(&w->base, ch->c, sizeof(w->base));
	}
	return ECS_OK;
}

/* Reads a file into w->file (NUL-terminated). ECS_OK with *len; ECS_E_CREDS when it does
 * not exist (soft, why set); ECS_E_INPUT otherwise. */
static ecs_status file_read(chain *ch, int ini, const char *path, size_t *len)
{
	char detail[128];
	unsigned mode = 0;
	port_status ps = port_read_file(path, ch->w->file, sizeof(ch->w->file) - 1, len, &mode,
					detail, sizeof(detail));

	if (ps == PORT_OK && *len + 1 > ch->file_used)
		ch->file_used = *len + 1;
	else if (ps != PORT_OK && ps != PORT_E_NOENT)
		ch->file_used = sizeof(ch->w->file); /* it may have read part of it */
	switch (ps) {
	case PORT_OK:
		break;
	case PORT_E_NOENT:
		/* file_shown (< 100 bytes) fits file_why; not snprintf: the two are in ch */
		memcpy(ch->file_why[ini] + strlen(strcpy(ch->file_why[ini], ch->file_shown[ini])),
		       " (not found)", 13);
		cr_trace(ch->o, "%s: not found", path);
		return ECS_E_CREDS;
	case PORT_E_TOOBIG:
		return err_set(ch->err, ECS_E_INPUT, "%s is larger than %zu bytes", path,
			       sizeof(ch->w->file) - 1);
	case PORT_E_ISDIR:
	case PORT_E_ACCESS:
		return err_set(ch->err, ECS_E_INPUT,
			       ps == PORT_E_ISDIR ? "%s is a directory, not a file"
						  : "cannot read %s: permission denied",
			       path);
	default:
		return err_set(ch->err, ECS_E_INPUT, "cannot read %s: %s", path, detail);
	}
	ch->w->file[*len] = '\0';
	if ((mode & 077u) != 0)
		err_emit(ch->o->warn, ch->o->ctx,
			 "warning: %s is readable by group/others (mode %04o); run: chmod 600 %s",
			 path, mode, path);
	cr_trace(ch->o, "read %s (%zu bytes)", path, *len);
	return ECS_OK;
}

/* The file's path: override_var, else HOME/rel; "" when neither. */
static ecs_status file_path(chain *ch, const char *var, const char *rel, char *path, size_t cap)
{
	const char *v = port_getenv(var), *home = port_home();
	int env = v != NULL && v[0] != '\0', n;

	path[0] = '\0';
	if (!env && home == NULL)
		return ECS_OK;
	n = snprintf(path, cap, "%s%s%s", env ? v : home, env ? "" : "/", env ? "" : rel);
	if (n < 0 || (size_t)n >= cap)
		return err_set(ch->err, ECS_E_INPUT, "%s is longer than %zu bytes",
			       env ? var : "the path under HOME", cap - 1);
	return ECS_OK;
}

/* The profile of one file: parsed, then its credentials obtained. */
static ecs_status file_profile(chain *ch, int ini, const char *path, int *got)
{
	creds_settings settings;
	creds_work *w = ch->w;
	char *why = ch->file_why[ini];
	size_t len = 0;
	ecs_status st = file_read(ch, ini, path, &len);

	if (st == ECS_E_CREDS)
		return ECS_OK;
	if (st != ECS_OK)
		return st;
	ch->prof_used = 1;
	if (ini)
		st = creds_parse_ini(w->file, len, ch->prof, path, &w->prof, ch->err);
	else
		st = creds_parse_cli_config(w->file, len, ch->prof, path, w->toks,
					    ECS_CREDS_JSON_TOKENS, &w->prof, ch->err);
	if (st == ECS_E_CREDS && w->prof.missing) { /* next source */
		ch->file_absent[ini] = w->prof.missing == 1;
		snprintf(why, CREDS_WHY_MAX, "%s", ch->err->msg);
		cr_trace(ch->o, "%s", why);
		return ECS_OK;
	}
	if (st != ECS_OK)
		return st;
	cr_trace(ch->o, "using %s", w->prof.label);
	settings = w->prof.settings; /* of the profile named, not of a source_profile */
	st = w->prof.mode == CREDS_M_CHAIN ? obtain_chain(ch, path)
					   : obtain_single(ch, &w->prof, ch->c);
	if (st != ECS_OK)
		return st;
	snprintf(ch->c->region, sizeof(ch->c->region), "%s", w->prof.region);
	if (!ini)
		ch->c->settings = settings;
	snprintf(ch->c->source, sizeof(ch->c->source), "%s", w->prof.label);
	*got = 1;
	return ECS_OK;
}

static ecs_status step_file(chain *ch, int ini, int *got)
{
	static const char *const label[2] = {"~/.aliyun/config.json",
					     "~/.alibabacloud/credentials"};
	static const char *const var[2] = {"ALIBABA_CLOUD_CONFIG_FILE",
					   "ALIBABA_CLOUD_CREDENTIALS_FILE"};
	static const char off[] = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
	char path[ECS_PATH_MAX], *why = ch->file_why[ini];
	ecs_status st = ECS_OK;

	why[0] = '\0';
	if (!ini && cr_env_true(off))
		snprintf(why, CREDS_WHY_MAX, "%s (skipped: %s=true)", label[ini], off);
	else if ((st = file_path(ch, var[ini], label[ini] + 2, path, sizeof(path))) != ECS_OK)
		return st;
	else if (path[0] == '\0')
		snprintf(why, CREDS_WHY_MAX, "%s (HOME not set)", label[ini]);
	else {
		cr_short_path(ch->file_shown[ini], sizeof(ch->file_shown[ini]), path);
		st = file_profile(ch, ini, path, got);
	}
	if (st == ECS_OK && !*got)
		tried_add(&ch->t, "%s", why);
	return st;
}

/* ---- 5. ECS instance role, 6. credentials URI ---- */

static ecs_status step_imds(chain *ch, int *got)
{
	const char *ev = port_getenv("ALIBABA_CLOUD_ECS_METADATA");
	char why[CREDS_WHY_MAX];
	ecs_status st;

	if (cr_env_true(MD_OFF)) {
		tried_add(&ch->t, "%s (skipped: %s=true)", "ECS metadata service", MD_OFF);
		return ECS_OK;
	}
	if (ev != NULL && ev[0] != '\0' && !cr_role_ok(ev, strlen(ev)))
		return err_set(ch->err, ECS_E_INPUT, CR_NOT_ROLE, "", "",
			       "ALIBABA_CLOUD_ECS_METADATA");
	st = creds_meta_get(&ch->w->net, ev, ch->o, ch->c, why, sizeof(why), ch->err);
	if (st == ECS_E_CREDS) {
		cr_trace(ch->o, "%s", ch->err->msg);
		tried_add(&ch->t, "%s", ch->err->msg);
		return ECS_OK;
	}
	*got = st == ECS_OK;
	return st;
}

static ecs_status step_uri_env(chain *ch, int *got)
{
	static const char var[] = "ALIBABA_CLOUD_CREDENTIALS_URI";
	const char *v = port_getenv(var);
	ecs_status st;

	if (v == NULL || v[0] == '\0') {
		tried_add(&ch->t, "%s (%s not set)", "credentials URI", var);
		return ECS_OK;
	}
	st = creds_uri_get(&ch->w->net, v, var, ch->o, ch->c, ch->err);
	*got = st == ECS_OK;
	return st;
}

/* ---- the chain ---- */

static ecs_status step_cli(chain *ch, int *got)
{
	return step_file(ch, 0, got);
}

static ecs_status step_ini(chain *ch, int *got)
{
	return step_file(ch, 1, got);
}

/* The chain's order; with --profile only the files. */
static ecs_status (*const STEP_FN[])(chain *, int *) = {
	NULL, step_env, step_oidc_env, step_cli, step_ini, step_imds, step_uri_env};

/* --profile NAME in neither file. */
static ecs_status profile_not_found(chain *ch)
{
	char shown[64];

	cr_show(shown, sizeof(shown), ch->explicit_prof, strlen(ch->explicit_prof));
	return err_set(ch->err, ECS_E_CREDS, "profile '%s' not found in %s or %s", shown,
		       ch->file_absent[0] ? ch->file_shown[0] : ch->file_why[0],
		       ch->file_absent[1] ? ch->file_shown[1] : ch->file_why[1]);
}

static ecs_status run_chain(chain *ch)
{
	const char *var = "--profile";
	creds_step s;
	int got = 0;
	ecs_status st;

	ch->prof = ch->explicit_prof;
	if (ch->prof == NULL)
		ch->prof = cr_env_first(ENV_PROFILE, NELEM(ENV_PROFILE), &var);
	if (ch->prof != NULL && strlen(ch->prof) >= CREDS_NAME_MAX)
		return err_set(ch->err, ECS_E_INPUT, "profile name from %s is longer than %d bytes",
			       var, CREDS_NAME_MAX - 1);
	for (s = CREDS_STEP_ENV; s <= CREDS_STEP_URI_ENV; s++) {
		if ((ch->only != CREDS_STEP_NONE && ch->only != s) ||
		    (ch->explicit_prof != NULL && s != CREDS_STEP_CLI && s != CREDS_STEP_INI))
			continue;
		st = STEP_FN[s](ch, &got);
		if (st != ECS_OK)
			return st;
		if (got) {
			ch->c->step = s;
			return ECS_OK;
		}
	}
	if (ch->only != CREDS_STEP_NONE)
		return err_set(ch->err, ECS_E_CREDS,
			       "refreshing credentials: the source no longer yields any (%s)",
			       ch->t.n > 0 ? ch->t.why[0] : "nothing found");
	if (ch->explicit_prof != NULL)
		return profile_not_found(ch);
	return no_creds(&ch->t, ch->err);
}

/* Zeroes the parts of w this run wrote (the sources wipe their own network buffers). The JSON
 * tokens hold offsets only, never file bytes. */
static void work_wipe_used(const chain *ch)
{
	creds_work *w = ch->w;

	cr_wipe(w->file, ch->file_used);
	if (ch->prof_used)
		cr_wipe(&w->prof, sizeof(w->prof));
	cr_wipe(w->link, ch->links_used * sizeof(w->link[0]));
	if (ch->links_used > 0)
		cr_wipe(w->seen, sizeof(w->seen));
	if (ch->base_used)
		cr_wipe(&w->base, sizeof(w->base));
}

static ecs_status resolve_with(creds *c, const creds_opts *o, creds_work *w, creds_step only,
			       ecs_err *err)
{
	chain ch;	 /* ~2 KB of reasons */
	creds_opts none; /* o may be NULL; below it, the sources always have options */
	ecs_status st;

	memset(&ch, 0, sizeof(ch));
	if (o == NULL) {
		memset(&none, 0, sizeof(none));
		o = &none;
	}
	ch.c = c;
	ch.o = o;
	ch.w = w;
	ch.only = only;
	ch.err = err;
	ch.explicit_prof = (o->profile != NULL && o->profile[0] != '\0') ? o->profile : NULL;
	creds_wipe(c);
	st = run_chain(&ch);
	work_wipe_used(&ch);
	cr_wipe(&ch, sizeof(ch));
	if (st != ECS_OK) {
		creds_wipe(c);
		return st;
	}
	cr_plan_refresh(c, port_time_unix());
	cr_trace(o, "using %s%s", c->source, c->expires ? " (temporary)" : "");
	return ECS_OK;
}

ecs_status creds_resolve(creds *c, const creds_opts *o, creds_work *w, ecs_err *err)
{
	return resolve_with(c, o, w, CREDS_STEP_NONE, err);
}

int creds_refresh_due(const creds *c, int64_t now)
{
	return c->refresh_at != 0 && now >= c->refresh_at;
}

ecs_status creds_refresh_if_due(creds *c, int64_t now, const creds_opts *o, creds_work *w,
				ecs_err *err)
{
	creds_step step = c->step;
	char region[CREDS_REGION_MAX];
	ecs_status st;

	if (!creds_refresh_due(c, now))
		return ECS_OK;
	cr_trace(o, "credentials expire in %lld s; refreshing from %s",
		 (long long)(c->expires - now), c->source);
	memcpy(region, c->region, sizeof(region));
	st = resolve_with(c, o, w, step, err);
	if (st != ECS_OK) {
		err_prefix(err, "refreshing credentials");
		return st;
	}
	if (c->region[0] == '\0')
		memcpy(c->region, region, sizeof(region));
	return ECS_OK;
}
