// SPDX-License-Identifier: MIT
/*
 * qmp_wire.c - QMP on the wire: framing, message shapes, commands
 *
 * Theory of operation
 *
 * QEMU writes each message as one JSON object followed by CRLF, but the
 * protocol does not promise line framing, and a line-based reader would
 * accept a message split over lines only by luck. The scanner therefore
 * finds a message's end the way a JSON reader does: it counts brackets
 * outside strings (where it tracks backslash escapes) and stops when the
 * top-level object closes. It never looks at a byte twice: its position
 * survives between calls, so a 200 KiB answer arriving in 4 KiB reads
 * costs one pass. Outside a message only JSON whitespace may appear;
 * anything else is garbage, and the connection is not worth continuing
 * (there is no way to find the next message boundary reliably).
 *
 * Bounds: a message larger than QMP_MESSAGE_MAX or nested deeper than
 * QMP_DEPTH_MAX is refused while it is still arriving, before it is
 * buffered whole or handed to yajl (whose tree code recurses).
 *
 * A complete message is parsed by yajl's tree parser and classified by
 * its keys: "QMP" (greeting), "return", "error" or "event". Anything else
 * is a protocol error; unknown keys beside the known ones are ignored.
 *
 * Commands are built here too: the name is checked, the arguments (JSON
 * text the caller built, usually with qmp_args.h) must parse as an object,
 * and the id is a number chosen by the client.
 */
#include "qmp_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qmp_scanner_init(struct qmp_scanner *s)
{
	memset(s, 0, sizeof(*s));
}

void qmp_scanner_drop(struct qmp_scanner *s, size_t n)
{
	s->pos = s->pos > n ? s->pos - n : 0;
	s->start = s->start > n ? s->start - n : 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int qmp_scan(struct qmp_scanner *s, const char *buf, size_t len, size_t *start, size_t *end)
{
	while (s->pos < len) {
		char c = buf[s->pos];

		if (!s->in_msg) {
			if (is_ws(c)) {
				s->pos++;
				continue;
			}
			if (c != '{') {
				*start = s->pos;
				return -EPROTO;
			}
			s->in_msg = true;
			s->start = s->pos;
			s->depth = 1;
			s->pos++;
			continue;
		}
		if (s->pos - s->start >= QMP_MESSAGE_MAX)
			return -E2BIG;
		s->pos++;
		if (s->in_string) {
			if (s->escape)
				s->escape = false;
			else if (c == '\\')
				s->escape = true;
			else if (c == '"')
				s->in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			s->in_string = true;
			break;
		case '{':
		case '[':
			if (++s->depth > QMP_DEPTH_MAX)
				return -ELOOP;
			break;
		case '}':
		case ']':
			if (--s->depth == 0) {
				*start = s->start;
				*end = s->pos;
				s->in_msg = false;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	*start = s->in_msg ? s->start : s->pos;
	return 0;
}

/* @obj's member @key (exact match, the last one wins), or NULL. */
static yajl_val member(yajl_val obj, const char *key)
{
	yajl_val v = NULL;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			v = obj->u.object.values[i];
	return v;
}

static int int_member(yajl_val obj, const char *key, int64_t dflt)
{
	yajl_val v = member(obj, key);

	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 || YAJL_GET_INTEGER(v) > INT32_MAX)
		return (int)dflt;
	return (int)YAJL_GET_INTEGER(v);
}

static int64_t i64_member(yajl_val obj, const char *key)
{
	yajl_val v = member(obj, key);

	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -EPROTO;
}

static int parse_greeting(yajl_val qmp, struct qmp_msg *m, char *err, size_t errlen)
{
	yajl_val caps = member(qmp, "capabilities"), qemu;

	m->type = QMP_MSG_GREETING;
	if (!YAJL_IS_OBJECT(qmp))
		return fail(err, errlen, "a greeting whose \"QMP\" is not an object");
	if (!YAJL_IS_ARRAY(caps))
		return fail(err, errlen, "a greeting without a \"capabilities\" array");
	for (size_t i = 0; i < caps->u.array.len; i++) {
		yajl_val c = caps->u.array.values[i];

		if (YAJL_IS_STRING(c) && !strcmp(c->u.string, "oob"))
			m->cap_oob = true;
	}
	qemu = member(member(qmp, "version"), "qemu");
	m->ver_major = int_member(qemu, "major", -1);
	m->ver_minor = int_member(qemu, "minor", -1);
	m->ver_micro = int_member(qemu, "micro", -1);
	return 0;
}

static int classify(struct qmp_msg *m, char *err, size_t errlen)
{
	yajl_val root = m->root, v, id = member(root, "id");

	if (!YAJL_IS_OBJECT(root))
		return fail(err, errlen, "a message that is not a JSON object");
	if (YAJL_IS_INTEGER(id) && YAJL_GET_INTEGER(id) >= 0) {
		m->has_id = true;
		m->id = (uint64_t)YAJL_GET_INTEGER(id);
	}
	if ((v = member(root, "QMP")))
		return parse_greeting(v, m, err, errlen);
	if ((v = member(root, "error"))) {
		yajl_val cls = member(v, "class"), desc = member(v, "desc");

		m->type = QMP_MSG_ERROR;
		if (!YAJL_IS_STRING(cls) || !YAJL_IS_STRING(desc))
			return fail(err, errlen, "an error reply without \"class\" and \"desc\"");
		m->err_class = YAJL_GET_STRING(cls);
		m->err_desc = YAJL_GET_STRING(desc);
		return 0;
	}
	if ((v = member(root, "return"))) {
		m->type = QMP_MSG_RETURN;
		m->value = v;
		return 0;
	}
	if ((v = member(root, "event"))) {
		yajl_val ts = member(root, "timestamp");

		m->type = QMP_MSG_EVENT;
		if (!YAJL_IS_STRING(v) || !qmp_name_valid(YAJL_GET_STRING(v)))
			return fail(err, errlen, "an event whose name is not a valid name");
		m->event = YAJL_GET_STRING(v);
		m->value = member(root, "data");
		m->ts_sec = i64_member(ts, "seconds");
		m->ts_usec = i64_member(ts, "microseconds");
		return 0;
	}
	return fail(err, errlen, "a message that is neither greeting, return, error nor event");
}

int qmp_msg_parse(char *text, size_t len, struct qmp_msg *m, char *err, size_t errlen)
{
	char ebuf[256] = "", saved;
	int r;

	memset(m, 0, sizeof(*m));
	m->ts_sec = m->ts_usec = -1;
	m->ver_major = m->ver_minor = m->ver_micro = -1;
	if (memchr(text, '\0', len))
		return fail(err, errlen, "a NUL byte in a message");
	saved = text[len];
	text[len] = '\0';
	m->root = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	text[len] = saved;
	if (!m->root) {
		/* yajl's message spans lines (it draws an arrow): keep the first. */
		ebuf[strcspn(ebuf, "\n")] = '\0';
		if (strstr(ebuf, "out of memory"))
			return -ENOMEM;
		snprintf(err, errlen, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
		return -EPROTO;
	}
	r = classify(m, err, errlen);
	if (r < 0)
		qmp_msg_free(m);
	return r;
}

void qmp_msg_free(struct qmp_msg *m)
{
	yajl_tree_free(m->root);
	memset(m, 0, sizeof(*m));
}

yajl_val qmp_msg_take(struct qmp_msg *m)
{
	yajl_val root = m->root;

	m->root = NULL;
	return root;
}

bool qmp_name_valid(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++) {
		char c = *p;

		if (n >= QMP_NAME_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

/* Is @args the text of one JSON object, within the nesting bound? */
static bool args_valid(const char *args)
{
	struct qmp_scanner s;
	size_t len = strlen(args), start, end;
	char *copy;
	yajl_val v;
	bool ok;

	qmp_scanner_init(&s);
	if (qmp_scan(&s, args, len, &start, &end) != 1)
		return false;
	for (size_t i = end; i < len; i++)
		if (!is_ws(args[i]))
			return false;
	copy = strdup(args);
	if (!copy)
		return false;
	v = yajl_tree_parse(copy, NULL, 0);
	free(copy);
	ok = YAJL_IS_OBJECT(v);
	yajl_tree_free(v);
	return ok;
}

int qmp_command_build(const char *name, const char *args, uint64_t id, char **out, size_t *len)
{
	size_t need;
	char *buf;
	int n;

	if (!qmp_name_valid(name) || (args && !args_valid(args)))
		return -EINVAL;
	need = strlen(name) + (args ? strlen(args) : 0) + 64;
	if (need > QMP_COMMAND_MAX)
		return -E2BIG;
	buf = malloc(need);
	if (!buf)
		return -ENOMEM;
	/* The name is letters, digits, '-' and '_': nothing to escape. */
	if (args)
		n = snprintf(buf, need,
			     "{\"execute\":\"%s\",\"arguments\":%s,\"id\":%" PRIu64 "}\n", name,
			     args, id);
	else
		n = snprintf(buf, need, "{\"execute\":\"%s\",\"id\":%" PRIu64 "}\n", name, id);
	if (n < 0 || (size_t)n >= need) {
		free(buf);
		return -E2BIG;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

const char *qmp_error_class_hint(const char *cls)
{
	static const struct {
		const char *cls;
		const char *hint;
	} hints[] = {
		{ "GenericError", "QEMU refused the command" },
		{ "CommandNotFound", "this QEMU does not know the command (too old, or not a "
				     "system emulator)" },
		{ "DeviceNotActive", "the device exists but is not active" },
		{ "DeviceNotFound", "no such device in this VM" },
		{ "KVMMissingCap", "the host's KVM lacks a capability the command needs" },
	};

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (cls && !strcmp(cls, hints[i].cls))
			return hints[i].hint;
	return "QEMU answered with an error of a class this client does not know";
}
