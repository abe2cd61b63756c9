// SPDX-License-Identifier: MIT
/*
 * test_qmp_wire.c - qmp/qmp_wire.c and qmp/qmp_args.c on byte buffers
 *
 * The scanner must find each message of a transcript recorded from QEMU
 * 7.2 wherever the bytes are cut, skip whitespace and CRLF between
 * messages, not be fooled by brackets and quotes inside strings, and
 * refuse garbage, over-deep and oversized messages while they arrive. The
 * message parser must classify the four shapes and refuse the malformed
 * ones with a reason; the builders must produce commands QEMU accepts.
 */
#include "qmp_args.h"
#include "qmp_wire.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>

/* Recorded from qemu-system-x86_64 7.2 (Debian 12), CRLF as QEMU sends it. */
#define GREETING                                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define RET_EMPTY "{\"return\": {}, \"id\": 3}\r\n"
#define ERR_DEVICE                                                                              \
	"{\"id\": 7, \"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'nope' not " \
	"found\"}}\r\n"
#define EV_DELETED                                                                         \
	"{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": " \
	"\"DEVICE_DELETED\", \"data\": {\"device\": \"vgate0\", \"path\": "                \
	"\"/machine/peripheral/vgate0\"}}\r\n"
#define RET_RX                                                                               \
	"{\"return\": [{\"promiscuous\": true, \"name\": \"nic1\", \"main-mac\": "           \
	"\"5a:94:ef:e4:0c:ef\", \"unicast\": \"normal\", \"vlan-table\": [4095, 4094], "     \
	"\"unicast-table\": [], \"multicast\": \"normal\", \"broadcast-allowed\": false}], " \
	"\"id\": 5}\r\n"

/* Scan @text whole; return how many messages and their [start,end). */
static int scan_all(const char *text, size_t len, size_t *starts, size_t *ends, int max)
{
	struct qmp_scanner s;
	int n = 0, r;
	size_t a, b;

	qmp_scanner_init(&s);
	while ((r = qmp_scan(&s, text, len, &a, &b)) == 1 && n < max) {
		starts[n] = a;
		ends[n] = b;
		n++;
	}
	return r < 0 ? r : n;
}

static void test_scan_transcript(void **state)
{
	const char *t = GREETING RET_EMPTY EV_DELETED ERR_DEVICE RET_RX;
	size_t len = strlen(t), st[8], en[8];
	const char *parts[] = { GREETING, RET_EMPTY, EV_DELETED, ERR_DEVICE, RET_RX };
	size_t off = 0;

	(void)state;
	assert_int_equal(scan_all(t, len, st, en, 8), 5);
	for (int i = 0; i < 5; i++) {
		/* Each message runs from its '{' to its '}', without the CRLF. */
		assert_int_equal(st[i], off);
		assert_int_equal(en[i], off + strlen(parts[i]) - 2);
		off += strlen(parts[i]);
	}
}

/*
 * The same transcript arriving in two pieces cut at every offset: the
 * scanner, resumed, finds the same messages, none before it is complete.
 */
static void test_scan_every_cut(void **state)
{
	const char *t = GREETING EV_DELETED RET_RX;
	size_t len = strlen(t), ref_st[4], ref_en[4];
	int nref = scan_all(t, len, ref_st, ref_en, 4);

	(void)state;
	assert_int_equal(nref, 3);
	for (size_t cut = 0; cut <= len; cut++) {
		struct qmp_scanner s;
		size_t a, b;
		int n = 0, r;

		qmp_scanner_init(&s);
		while ((r = qmp_scan(&s, t, cut, &a, &b)) == 1) {
			assert_true(b <= cut);
			assert_int_equal(a, ref_st[n]);
			assert_int_equal(b, ref_en[n]);
			n++;
		}
		assert_int_equal(r, 0);
		while ((r = qmp_scan(&s, t, len, &a, &b)) == 1) {
			assert_int_equal(a, ref_st[n]);
			assert_int_equal(b, ref_en[n]);
			n++;
		}
		assert_int_equal(r, 0);
		assert_int_equal(n, nref);
	}
}

/* Brackets, quotes and backslashes inside strings are text, not structure. */
static void test_scan_strings(void **state)
{
	const char *t = "{\"return\": \"}]{[\\\"\\\\\", \"k\\\\\": \"\\\"}\"}\n{\"x\":1}";
	size_t st[4], en[4];

	(void)state;
	assert_int_equal(scan_all(t, strlen(t), st, en, 4), 2);
	assert_int_equal(en[0], strlen(t) - strlen("\n{\"x\":1}"));
	assert_int_equal(st[1], en[0] + 1);
}

/* Whitespace between messages is skipped, and may be dropped while waiting. */
static void test_scan_whitespace(void **state)
{
	const char *t = " \r\n\t \r\n";
	struct qmp_scanner s;
	size_t a = 99, b;

	(void)state;
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, strlen(t), &a, &b), 0);
	assert_int_equal(a, strlen(t));
	/* The caller dropped it; a message follows in the same buffer space. */
	qmp_scanner_drop(&s, a);
	assert_int_equal(qmp_scan(&s, "{}", 2, &a, &b), 1);
	assert_int_equal(a, 0);
	assert_int_equal(b, 2);
}

/* A message in progress keeps its start, so nothing of it is dropped. */
static void test_scan_partial(void **state)
{
	const char *t = "  {\"return\": {\"a\": [1, 2";
	struct qmp_scanner s;
	size_t a, b;

	(void)state;
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, strlen(t), &a, &b), 0);
	assert_int_equal(a, 2);
	assert_true(s.in_msg);
	qmp_scanner_drop(&s, 2);
	assert_int_equal(qmp_scan(&s, t + 2, strlen(t) - 2, &a, &b), 0);
	assert_int_equal(a, 0);
}

static void test_scan_garbage(void **state)
{
	static const char *const bad[] = { "hello", "[1]", "\"s\"", "{}x", "{} ]", "\x01{}" };
	static const size_t at[] = { 0, 0, 0, 2, 3, 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qmp_scanner s;
		size_t a = 0, b;
		int r;

		qmp_scanner_init(&s);
		while ((r = qmp_scan(&s, bad[i], strlen(bad[i]), &a, &b)) == 1)
			;
		assert_int_equal(r, -EPROTO);
		assert_int_equal(a, at[i]);
	}
}

static void test_scan_depth(void **state)
{
	char t[200];
	struct qmp_scanner s;
	size_t a, b, n = 0;

	(void)state;
	/* QMP_DEPTH_MAX levels are fine ... */
	t[n++] = '{';
	memcpy(t + n, "\"a\":", 4);
	n += 4;
	for (int i = 1; i < QMP_DEPTH_MAX; i++)
		t[n++] = '[';
	for (int i = 1; i < QMP_DEPTH_MAX; i++)
		t[n++] = ']';
	t[n++] = '}';
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, n, &a, &b), 1);
	/* ... one more is refused before the message ends. */
	n = 0;
	for (int i = 0; i <= QMP_DEPTH_MAX; i++)
		t[n++] = '{';
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, n, &a, &b), -ELOOP);
}

/* Exactly QMP_MESSAGE_MAX bytes pass; one more is refused while arriving. */
static void test_scan_size(void **state)
{
	size_t max = QMP_MESSAGE_MAX;
	char *t = malloc(max + 16);
	struct qmp_scanner s;
	size_t a, b;

	(void)state;
	assert_non_null(t);
	memcpy(t, "{\"return\": \"", 12);
	memset(t + 12, 'x', max - 14);
	memcpy(t + max - 2, "\"}", 2);
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, max, &a, &b), 1);
	assert_int_equal(b - a, max);
	/* One byte longer: refused without waiting for the end. */
	memset(t + 12, 'x', max - 12);
	qmp_scanner_init(&s);
	assert_int_equal(qmp_scan(&s, t, max, &a, &b), 0);
	assert_int_equal(qmp_scan(&s, t, max + 1, &a, &b), -E2BIG);
	free(t);
}

/* Parse @lit (a string literal) as one message. */
static int parse_lit(const char *lit, struct qmp_msg *m, char *err, size_t errlen)
{
	size_t len = strlen(lit);
	char *copy = malloc(len + 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, lit, len + 1);
	while (len && (copy[len - 1] == '\n' || copy[len - 1] == '\r'))
		len--;
	r = qmp_msg_parse(copy, len, m, err, errlen);
	free(copy);
	return r;
}

static void test_parse_greeting(void **state)
{
	struct qmp_msg m;
	char err[128];

	(void)state;
	assert_int_equal(parse_lit(GREETING, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, QMP_MSG_GREETING);
	assert_int_equal(m.ver_major, 7);
	assert_int_equal(m.ver_minor, 2);
	assert_int_equal(m.ver_micro, 22);
	assert_true(m.cap_oob);
	qmp_msg_free(&m);

	/* No version: fine, the capabilities are what matter. */
	assert_int_equal(parse_lit("{\"QMP\": {\"capabilities\": []}}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.ver_major, -1);
	assert_false(m.cap_oob);
	qmp_msg_free(&m);

	assert_int_equal(parse_lit("{\"QMP\": {\"version\": {}}}", &m, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "capabilities"));
	assert_int_equal(parse_lit("{\"QMP\": {\"capabilities\": {}}}", &m, err, sizeof(err)),
			 -EPROTO);
	assert_int_equal(parse_lit("{\"QMP\": 1}", &m, err, sizeof(err)), -EPROTO);
}

static void test_parse_return_error_event(void **state)
{
	struct qmp_msg m;
	char err[128];
	yajl_val v;

	(void)state;
	assert_int_equal(parse_lit(RET_RX, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, QMP_MSG_RETURN);
	assert_true(m.has_id);
	assert_int_equal(m.id, 5);
	assert_true(YAJL_IS_ARRAY(m.value));
	v = m.value->u.array.values[0];
	assert_true(YAJL_IS_OBJECT(v));
	qmp_msg_free(&m);

	assert_int_equal(parse_lit(ERR_DEVICE, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, QMP_MSG_ERROR);
	assert_int_equal(m.id, 7);
	assert_string_equal(m.err_class, "DeviceNotFound");
	assert_string_equal(m.err_desc, "Device 'nope' not found");
	qmp_msg_free(&m);

	assert_int_equal(parse_lit(EV_DELETED, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, QMP_MSG_EVENT);
	assert_false(m.has_id);
	assert_string_equal(m.event, "DEVICE_DELETED");
	assert_int_equal(m.ts_sec, 1700000000);
	assert_int_equal(m.ts_usec, 123456);
	assert_true(YAJL_IS_OBJECT(m.value));
	qmp_msg_free(&m);

	/* An event without data or timestamp; an id that is not ours. */
	assert_int_equal(parse_lit("{\"event\": \"SHUTDOWN\"}", &m, err, sizeof(err)), 0);
	assert_null(m.value);
	assert_int_equal(m.ts_sec, -1);
	qmp_msg_free(&m);
	assert_int_equal(parse_lit("{\"return\": 1, \"id\": \"abc\"}", &m, err, sizeof(err)), 0);
	assert_false(m.has_id);
	qmp_msg_free(&m);
	assert_int_equal(parse_lit("{\"return\": 1, \"id\": -4}", &m, err, sizeof(err)), 0);
	assert_false(m.has_id);
	qmp_msg_free(&m);
	/* Unknown keys beside known ones are ignored. */
	assert_int_equal(
		parse_lit("{\"return\": {}, \"id\": 9, \"future\": [1]}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.id, 9);
	qmp_msg_free(&m);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"{\"return\": }",
		"{\"error\": {\"class\": \"GenericError\"}, \"id\": 1}",
		"{\"error\": \"oops\", \"id\": 1}",
		"{\"error\": {\"class\": 1, \"desc\": \"x\"}}",
		"{\"event\": 5}",
		"{\"event\": \"NAME WITH SPACES\"}",
		"{\"hello\": \"world\"}",
		"{}",
		"[1, 2]",
		"{\"return\": \"\xff\xfe\"}",
		"{\"return\": {}} trailing",
	};
	struct qmp_msg m;
	char err[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(parse_lit(bad[i], &m, err, sizeof(err)), -EPROTO);
		assert_true(err[0] != '\0');
		assert_null(m.root);
	}
	/* A NUL byte inside the message. */
	{
		char t[] = "{\"return\": \"a\0b\"}";

		assert_int_equal(qmp_msg_parse(t, sizeof(t) - 1, &m, err, sizeof(err)), -EPROTO);
		assert_non_null(strstr(err, "NUL"));
	}
}

/* qmp_msg_parse() borrows the byte after the message and gives it back. */
static void test_parse_restores(void **state)
{
	char t[] = "{\"return\": {}}{\"return\": 2}";
	struct qmp_msg m;
	char err[64];

	(void)state;
	assert_int_equal(qmp_msg_parse(t, 14, &m, err, sizeof(err)), 0);
	assert_int_equal(t[14], '{');
	qmp_msg_free(&m);
}

static void test_take(void **state)
{
	struct qmp_msg m;
	char err[64];
	yajl_val root;

	(void)state;
	assert_int_equal(parse_lit(RET_EMPTY, &m, err, sizeof(err)), 0);
	root = qmp_msg_take(&m);
	assert_non_null(root);
	qmp_msg_free(&m); /* frees nothing now */
	yajl_tree_free(root);
}

static void test_command_build(void **state)
{
	char *out, big[QMP_COMMAND_MAX + 16];
	size_t len;

	(void)state;
	assert_int_equal(qmp_command_build("qmp_capabilities", NULL, 1, &out, &len), 0);
	assert_string_equal(out, "{\"execute\":\"qmp_capabilities\",\"id\":1}\n");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(qmp_command_build("device_del", " {\"id\": \"n\"} ", 42, &out, &len), 0);
	assert_string_equal(out, "{\"execute\":\"device_del\",\"arguments\": {\"id\": \"n\"} ,"
				 "\"id\":42}\n");
	free(out);

	assert_int_equal(qmp_command_build("", NULL, 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("bad\"name", NULL, 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("x", "[1]", 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("x", "{\"a\":}", 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("x", "{} {}", 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("x", "{}, \"id\": 5", 1, &out, &len), -EINVAL);
	assert_int_equal(qmp_command_build("x", "", 1, &out, &len), -EINVAL);

	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(qmp_command_build("x", big, 1, &out, &len), -E2BIG);
}

static void test_names(void **state)
{
	char longname[QMP_NAME_MAX + 2];

	(void)state;
	assert_true(qmp_name_valid("query-rx-filter"));
	assert_true(qmp_name_valid("NETDEV_STREAM_CONNECTED"));
	assert_false(qmp_name_valid(""));
	assert_false(qmp_name_valid("a b"));
	assert_false(qmp_name_valid("a\\b"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(qmp_name_valid(longname));
	longname[QMP_NAME_MAX] = '\0';
	assert_true(qmp_name_valid(longname));
}

static void test_args(void **state)
{
	struct qmp_args a;
	char *out;

	(void)state;
	assert_int_equal(qmp_args_init(&a), 0);
	qmp_args_str(&a, "id", "vgate0");
	qmp_args_str(&a, "type", "stream");
	qmp_args_bool(&a, "server", false);
	qmp_args_object_begin(&a, "addr");
	qmp_args_str(&a, "type", "unix");
	qmp_args_str(&a, "path", "/run/\"q\".sock");
	qmp_args_object_end(&a);
	qmp_args_int(&a, "n", -3);
	assert_int_equal(qmp_args_finish(&a, &out), 0);
	assert_string_equal(out, "{\"id\":\"vgate0\",\"type\":\"stream\",\"server\":false,"
				 "\"addr\":{\"type\":\"unix\",\"path\":\"/run/\\\"q\\\".sock\"},"
				 "\"n\":-3}");
	free(out);

	/* Not UTF-8. */
	assert_int_equal(qmp_args_init(&a), 0);
	qmp_args_str(&a, "id", "\xff");
	qmp_args_str(&a, "more", "ok");
	assert_int_equal(qmp_args_finish(&a, &out), -EINVAL);
	/* A nested object left open. */
	assert_int_equal(qmp_args_init(&a), 0);
	qmp_args_object_begin(&a, "addr");
	assert_int_equal(qmp_args_finish(&a, &out), -EINVAL);
	/* An unfinished builder is simply dropped. */
	assert_int_equal(qmp_args_init(&a), 0);
	qmp_args_str(&a, "id", "x");
	qmp_args_free(&a);
}

static void test_hints(void **state)
{
	(void)state;
	assert_non_null(strstr(qmp_error_class_hint("DeviceNotFound"), "no such device"));
	assert_non_null(strstr(qmp_error_class_hint("CommandNotFound"), "does not know"));
	assert_non_null(qmp_error_class_hint("GenericError"));
	assert_non_null(qmp_error_class_hint("DeviceNotActive"));
	assert_non_null(qmp_error_class_hint("KVMMissingCap"));
	assert_non_null(strstr(qmp_error_class_hint("SomethingNew"), "does not know"));
	assert_non_null(qmp_error_class_hint(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_transcript),
		cmocka_unit_test(test_scan_every_cut),
		cmocka_unit_test(test_scan_strings),
		cmocka_unit_test(test_scan_whitespace),
		cmocka_unit_test(test_scan_partial),
		cmocka_unit_test(test_scan_garbage),
		cmocka_unit_test(test_scan_depth),
		cmocka_unit_test(test_scan_size),
		cmocka_unit_test(test_parse_greeting),
		cmocka_unit_test(test_parse_return_error_event),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_restores),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_command_build),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_hints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
