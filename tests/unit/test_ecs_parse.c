/* Unit tests for the pure parts of src/ecs.c: answers and error bodies from a hostile server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <string.h>

#include "ecs.h"

static ecs_page page;
static char body[65536];
static jsmntok_t tok[ECS_JSON_TOKENS];

#define SET "\"InstanceCloudAssistantStatusSet\":{\"InstanceCloudAssistantStatus\":["

static ecs_status parse(const char *js, ecs_err *err)
{
	memset(err, 0, sizeof(*err));
	return ecs_parse_page(js, strlen(js), &page, tok, ECS_JSON_TOKENS, err);
}

static void test_next_token_types(void **state)
{
	ecs_err err;

	(void)state;
	assert_int_equal(parse("{\"NextToken\":12345," SET "]}}", &err), ECS_E_PROTO);
	assert_non_null(strstr(err.msg, "NextToken"));
	assert_int_equal(parse("{\"NextToken\":{}," SET "]}}", &err), ECS_E_PROTO);
	assert_int_equal(parse("{\"NextToken\":null," SET "]}}", &err), ECS_OK);
	assert_int_equal(parse("{\"NextToken\":\"abc\"," SET "]}}", &err), ECS_OK);
	assert_string_equal(page.next_token, "abc");
}

static void test_result_set_required(void **state)
{
	ecs_err err;

	(void)state;
	assert_int_equal(parse("{}", &err), ECS_E_PROTO);
	assert_non_null(strstr(err.msg, "InstanceCloudAssistantStatusSet"));
	assert_int_equal(parse("{\"Code\":\"Forbidden.RAM\"}", &err), ECS_E_PROTO);
	assert_int_equal(parse("{\"InstanceCloudAssistantStatusSet\":null}", &err), ECS_E_PROTO);
	assert_int_equal(parse("{" SET "]}}", &err), ECS_OK);
	assert_int_equal(page.n, 0);
}

static void test_too_many_records(void **state)
{
	ecs_err err;
	size_t o;
	int k;

	(void)state;
	o = (size_t)snprintf(body, sizeof(body), "{" SET);
	for (k = 0; k < 101; k++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"InstanceId\":\"i-%d\"}",
				      k ? "," : "", k);
	snprintf(body + o, sizeof(body) - o, "]}}");
	assert_int_equal(parse(body, &err), ECS_E_PROTO);
	assert_non_null(strstr(err.msg, "100"));
}

static void test_field_limits(void **state)
{
	ecs_err err;
	char v[ECS_VERSION_MAX + 8];

	(void)state;
	memset(v, '7', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	snprintf(body, sizeof(body),
		 "{" SET "{\"InstanceId\":\"i-1\",\"CloudAssistantVersion\":\"%s\"}]}}", v);
	assert_int_equal(parse(body, &err), ECS_E_PROTO);
	assert_non_null(strstr(err.msg, "CloudAssistantVersion"));
	v[ECS_VERSION_MAX - 1] = '\0'; /* exactly at the limit: kept whole */
	snprintf(body, sizeof(body),
		 "{" SET "{\"InstanceId\":\"i-1\",\"CloudAssistantVersion\":\"%s\"}]}}", v);
	assert_int_equal(parse(body, &err), ECS_OK);
	assert_string_equal(page.rec[0].version, v);
	assert_int_equal(parse("{" SET "{\"InstanceId\":\"i-1\",\"OSType\":7}]}}", &err),
			 ECS_E_PROTO);
	assert_non_null(strstr(err.msg, "OSType"));
	assert_int_equal(
		parse("{" SET "{\"InstanceId\":\"i-1\",\"ActiveTaskCount\":\"x\"}]}}", &err),
		ECS_E_PROTO);
}

static void test_long_id_skipped(void **state)
{
	ecs_err err;
	char id[80];

	(void)state;
	memset(id, 'z', 72);
	id[72] = '\0';
	snprintf(body, sizeof(body), "{" SET "{\"InstanceId\":\"i-1\"},{\"InstanceId\":\"%s\"}]}}",
		 id);
	assert_int_equal(parse(body, &err), ECS_OK);
	assert_int_equal(page.n, 1);
	assert_int_equal(page.long_ids, 1);
	assert_string_equal(page.rec[0].id, "i-1");
	assert_int_equal(strlen(page.long_id), ECS_ID_MAX);
}

static void test_error_long_fields(void **state)
{
	ecs_api_error e;
	char msg[2000], code[200];
	size_t ml = sizeof(ECS_CUT_MARK) - 1;

	(void)state;
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(code, "Throttling.User.", 16);
	memset(code + 16, 'X', sizeof(code) - 17);
	code[sizeof(code) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"Code\":\"%s\",\"Message\":\"%s\",\"RequestId\":\"R\"}",
		 code, msg);
	ecs_parse_error(body, strlen(body), 400, &e, tok, ECS_JSON_TOKENS);
	assert_int_equal(e.cut, 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	assert_string_equal(e.message + strlen(e.message) - ml, ECS_CUT_MARK);
	assert_memory_equal(e.code, "Throttling.User.XXX", 19);
	assert_string_equal(e.request_id, "R");
	ecs_parse_error("<Error><Code>C</Code><Message>hi</Message></Error>", 51, 400, &e, tok,
			ECS_JSON_TOKENS);
	assert_string_equal(e.code, "C");
	assert_string_equal(e.message, "hi");
	assert_int_equal(e.cut, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_token_types), cmocka_unit_test(test_result_set_required),
		cmocka_unit_test(test_too_many_records), cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_long_id_skipped),	 cmocka_unit_test(test_error_long_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
