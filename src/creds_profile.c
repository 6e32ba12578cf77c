/* The one decision about a parsed profile: which mode, and whether it has what that mode
 * needs. Mode names and inference follow aliyun-cli (config.json) and credentials-go (INI). */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"

/* By creds_mode - 1: the config.json "mode" and the INI "type" (NULL: none). */
static const char *const MODES[][2] = {
	{"AK", "access_key"},
	{"StsToken", "sts"},
	{"RamRoleArn", "ram_role_arn"},
	{"ChainableRamRoleArn", NULL},
	{"EcsRamRole", "ecs_ram_role"},
	{"OIDC", "oidc_role_arn"},
	{"CredentialsURI", "credentials_uri"},
	{"External", NULL},
};
_Static_assert(CREDS_M_AK == 1 && CREDS_M_EXTERNAL == 8, "MODES follows creds_mode");

/* Known to the official tools, not to us: a clear "not supported" instead of "unknown". */
static const char UNSUPPORTED[] = "RsaKeyPair\0RamRoleArnWithRoleName\0CloudSSO\0OAuth\0"
				  "BearerToken\0Anonymous\0rsa_key_pair\0bearer\0"
				  "chainable_ram_role_arn\0cloud_sso\0oauth\0"; /* NUL-separated */

/* The profile's field names, as the file spells them. */
typedef struct {
	const char *token, *arn, *session, *oidc_file, *ram_role, *what;
} names;

static const names NAMES[2] = {{"sts_token", "ram_role_arn", "ram_session_name", "oidc_token_file",
				"ram_role_name", "mode"},
			       {"security_token", "role_arn", "role_session_name",
				"oidc_token_file_path", "role_name", "type"}};

/* aliyun-cli's AutoModeRecognition for config.json; the same idea for the INI's keys. */
static creds_mode infer(const creds_profile *p, int ini)
{
	int keys = p->key_id[0] != '\0' || p->secret[0] != '\0';

	if (keys && (ini || (p->key_id[0] != '\0' && p->secret[0] != '\0'))) {
		if (p->token[0] != '\0')
			return CREDS_M_STS;
		return p->role.role_arn[0] != '\0' ? CREDS_M_RAM_ROLE : CREDS_M_AK;
	}
	if (keys)
		return CREDS_M_AK; /* half a key pair: AK, and then the missing half is named */
	if (p->ram_role[0] != '\0' || p->ram_role_set)
		return CREDS_M_ECS_ROLE;
	if (!ini && p->command[0] != '\0')
		return CREDS_M_EXTERNAL;
	if (p->oidc_provider_arn[0] != '\0' &&
	    (ini || (p->oidc_token_file[0] != '\0' && p->role.role_arn[0] != '\0')))
		return CREDS_M_OIDC;
	if (ini && p->uri[0] != '\0')
		return CREDS_M_URI;
	return CREDS_M_NONE;
}

static ecs_status from_name(creds_profile *p, const char *raw, int ini, ecs_err *err)
{
	const char *u;
	size_t i, n = strlen(raw);
	char m[48];

	for (i = 0; i < NELEM(MODES); i++)
		if (MODES[i][ini] != NULL && cr_ieqn(raw, n, MODES[i][ini])) {
			p->mode = (creds_mode)(i + 1);
			return ECS_OK;
		}
	cr_show(m, sizeof(m), raw, n);
	for (u = UNSUPPORTED; *u != '\0' && !cr_ieqn(raw, n, u); u += strlen(u) + 1)
		;
	return err_set(err, ECS_E_CREDS,
		       *u != '\0' ? "%s uses %s '%s', which ecs-ca-status does not support"
				  : "%s has unknown %s '%s'",
		       p->label, NAMES[ini].what, m);
}

/* The first field the mode needs that is empty, or NULL. */
static const char *missing_field(const creds_profile *p, int ini)
{
	const names *nm = &NAMES[ini];
	const creds_role *r = &p->role;

	switch (p->mode) {
	case CREDS_M_AK:
	case CREDS_M_STS:
	case CREDS_M_RAM_ROLE:
		if (p->key_id[0] == '\0')
			return "access_key_id";
		if (p->secret[0] == '\0')
			return "access_key_secret";
		if (p->mode == CREDS_M_STS && p->token[0] == '\0')
			return nm->token;
		if (p->mode == CREDS_M_RAM_ROLE && r->role_arn[0] == '\0')
			return nm->arn;
		if (p->mode == CREDS_M_RAM_ROLE && r->session[0] == '\0')
			return nm->session; /* aliyun-cli and credentials-go require it here */
		return NULL;
	case CREDS_M_CHAIN:
		if (p->source_profile[0] == '\0')
			return "source_profile";
		if (r->role_arn[0] == '\0')
			return nm->arn;
		return r->session[0] == '\0' ? nm->session : NULL;
	case CREDS_M_OIDC:
		if (p->oidc_provider_arn[0] == '\0')
			return "oidc_provider_arn";
		if (p->oidc_token_file[0] == '\0')
			return nm->oidc_file;
		if (r->role_arn[0] == '\0')
			return nm->arn;
		return (!ini && r->session[0] == '\0') ? nm->session : NULL;
	case CREDS_M_URI:
		return p->uri[0] == '\0' ? "credentials_uri" : NULL;
	case CREDS_M_EXTERNAL:
		return p->command[0] == '\0' ? "process_command" : NULL;
	default:
		return NULL;
	}
}

/* RoleSessionName: 2..64 of letters, digits and . @ - _ (STS's rule). */
static int session_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return 1; /* default chosen later */
	if (n < 2 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '@' || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

static ecs_status check_forms(creds_profile *p, int ini, ecs_err *err)
{
	const names *nm = &NAMES[ini];

	if (p->mode == CREDS_M_ECS_ROLE && p->ram_role[0] != '\0' &&
	    !cr_role_ok(p->ram_role, strlen(p->ram_role)))
		return err_set(err, ECS_E_INPUT, CR_NOT_ROLE, p->label, ": ", nm->ram_role);
	if (!session_ok(p->role.session))
		return err_set(err, ECS_E_INPUT, "%s: %s must be 2..64 letters, digits or . @ - _",
			       p->label, nm->session);
	if (p->role.duration != 0 && (p->role.duration < 900 || p->role.duration > 43200))
		return err_set(err, ECS_E_INPUT,
			       "%s: expired_seconds must be 900..43200 (STS session length)",
			       p->label);
	return ECS_OK;
}

/* "PATH profile 'NAME'" or "PATH [NAME]" */
static void set_label(creds_profile *p, int ini, const char *path)
{
	char shown[64];

	cr_show(shown, sizeof(shown), p->name, strlen(p->name));
	snprintf(p->label, sizeof(p->label), ini ? "%s [%s]" : "%s profile '%s'", path, shown);
}

ecs_status creds_profile_decide(creds_profile *p, const char *raw_mode, int ini,
				const char *path_for_msgs, ecs_err *err)
{
	const char *missing, *mode;
	ecs_status st;

	set_label(p, ini, path_for_msgs);
	if (raw_mode != NULL && raw_mode[0] != '\0') {
		st = from_name(p, raw_mode, ini, err);
		if (st != ECS_OK)
			return st;
	} else {
		p->mode = infer(p, ini);
	}
	if (p->mode == CREDS_M_NONE ||
	    ((p->mode == CREDS_M_AK || p->mode == CREDS_M_STS) && p->key_id[0] == '\0' &&
	     p->secret[0] == '\0' && p->token[0] == '\0')) {
		/* `aliyun configure` leaves an empty "default" AK profile behind */
		p->missing = 2;
		return err_set(err, ECS_E_CREDS, "%s has no %s", p->label, "credentials");
	}
	mode = MODES[p->mode - 1][ini];
	if (mode != NULL) { /* the label becomes "... (MODE)", cut like one snprintf would */
		size_t l = strlen(p->label);
		snprintf(p->label + l, sizeof(p->label) - l, " (%s)", mode);
	}
	missing = missing_field(p, ini);
	if (missing != NULL)
		return err_set(err, ECS_E_CREDS, "%s has no %s", p->label, missing);
	if (p->mode == CREDS_M_AK)
		cr_wipe(p->token, sizeof(p->token));
	snprintf(p->role.label, sizeof(p->role.label), "%s", p->label);
	return check_forms(p, ini, err);
}
