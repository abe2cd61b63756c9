/* SPDX-License-Identifier: MIT */
/*
 * qmp_wire.h - QMP on the wire: split a byte stream into JSON objects,
 * classify each as greeting, return, error or event, build commands
 *
 * Everything here works on byte buffers and keeps no connection state, so
 * the unit tests can feed it recorded transcripts, cut anywhere.
 */
#ifndef VGATE_QMP_WIRE_H
#define VGATE_QMP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/*
 * Largest message accepted from the server: 1 MiB. QEMU 7.2's largest
 * answer, query-qmp-schema, is about 200 KiB.
 */
#define QMP_MESSAGE_MAX (1u << 20)
/* Deepest nesting of objects and arrays accepted in a message. */
#define QMP_DEPTH_MAX 32
/* Longest command or event name (QEMU's are under 40 characters). */
#define QMP_NAME_MAX 64
/* Largest command text built (arguments included). */
#define QMP_COMMAND_MAX (64 * 1024)
/* Longest error class and description kept from an error reply. */
#define QMP_CLASS_MAX 64
#define QMP_DESC_MAX 512

/*
 * struct qmp_scanner - where qmp_scan() is in a growing input buffer
 *
 * Between messages only whitespace is allowed; a message is one JSON
 * object, found by counting brackets outside strings. The text is not
 * validated here (yajl does that in qmp_msg_parse()).
 */
struct qmp_scanner {
	size_t pos;	/* bytes of the buffer scanned so far */
	size_t start;	/* offset of the current message's '{' (in_msg) */
	unsigned depth; /* open objects and arrays */
	bool in_msg;
	bool in_string;
	bool escape; /* the previous byte in a string was a backslash */
};

void qmp_scanner_init(struct qmp_scanner *s);

/*
 * qmp_scan() - look for the next complete message in @buf
 * @buf, @len: every byte received and not yet dropped; the scanner resumes
 *	where the previous call stopped
 * @start, @end: on 1, the message is @buf[*start, *end); on 0, the bytes
 *	before *@start are only whitespace and may be dropped
 *	(qmp_scanner_drop()); on -EPROTO, *@start is the offending byte
 *
 * Return: 1 (a message; the scanner then continues after it); 0 (more bytes
 * needed); -EPROTO (a byte outside a message that is neither whitespace
 * nor '{'); -ELOOP (nested deeper than QMP_DEPTH_MAX); -E2BIG (the message
 * has grown past QMP_MESSAGE_MAX).
 */
int qmp_scan(struct qmp_scanner *s, const char *buf, size_t len, size_t *start, size_t *end);

/* qmp_scanner_drop() - the caller removed the first @n bytes of its buffer. */
void qmp_scanner_drop(struct qmp_scanner *s, size_t n);

enum qmp_msg_type {
	QMP_MSG_GREETING, /* {"QMP": {"version": ..., "capabilities": [...]}} */
	QMP_MSG_RETURN,	  /* {"return": VALUE, "id": ...} */
	QMP_MSG_ERROR,	  /* {"error": {"class": ..., "desc": ...}, "id": ...} */
	QMP_MSG_EVENT,	  /* {"event": NAME, "data": {...}, "timestamp": {...}} */
};

/*
 * struct qmp_msg - one parsed server message
 *
 * Pointers point into @root, which the message owns (qmp_msg_free()).
 * Unknown keys are ignored, as the protocol asks of clients.
 */
struct qmp_msg {
	enum qmp_msg_type type;
	yajl_val root;
	yajl_val value;	       /* RETURN: "return"; EVENT: "data" (NULL if absent) */
	bool has_id;	       /* "id" is a non-negative integer (this library's ids are) */
	uint64_t id;	       /* valid when has_id */
	const char *event;     /* EVENT: its name */
	const char *err_class; /* ERROR: "class" */
	const char *err_desc;  /* ERROR: "desc" */
	int64_t ts_sec;	       /* EVENT: timestamp, -1 when absent */
	int64_t ts_usec;
	int ver_major; /* GREETING: QEMU's version, -1 when absent */
	int ver_minor;
	int ver_micro;
	bool cap_oob; /* GREETING: "oob" is among the capabilities */
};

/*
 * qmp_msg_parse() - parse and classify one message as qmp_scan() found it
 * @text, @len: the message (not NUL-terminated: one byte past it, text[len],
 *	must be writable; it is restored before returning)
 * @err: on failure, why (for a log line or the user)
 *
 * Return: 0 with @m filled (free with qmp_msg_free()); -EPROTO (invalid
 * JSON, a NUL byte, not an object, a greeting without "capabilities", an
 * error without "class" and "desc", or none of the four shapes);
 * -ENOMEM.
 */
int qmp_msg_parse(char *text, size_t len, struct qmp_msg *m, char *err, size_t errlen);

void qmp_msg_free(struct qmp_msg *m);

/*
 * qmp_msg_take() - take the parsed tree out of @m (a reply callback that
 * wants to keep the value beyond the callback). Free it with yajl_tree_free().
 */
yajl_val qmp_msg_take(struct qmp_msg *m);

/*
 * qmp_name_valid() - is @name a plausible command name: 1 to QMP_NAME_MAX
 * characters of letters, digits, '-' and '_'
 */
bool qmp_name_valid(const char *name);

/*
 * qmp_command_build() - {"execute": NAME, "arguments": ARGS, "id": ID} and
 * a newline
 * @args: NULL, or the text of a JSON object (checked: it must parse and be
 *	an object, at most QMP_DEPTH_MAX deep)
 * Return: 0 with a malloc'd NUL-terminated text in *@out and its length in
 * *@len; -EINVAL (bad name or arguments); -E2BIG (over QMP_COMMAND_MAX);
 * -ENOMEM.
 */
int qmp_command_build(const char *name, const char *args, uint64_t id, char **out, size_t *len);

/*
 * qmp_error_class_hint() - what an error class means, for a person
 * Return: a sentence for QEMU's classes (GenericError, CommandNotFound,
 * DeviceNotActive, DeviceNotFound, KVMMissingCap), a generic one otherwise.
 */
const char *qmp_error_class_hint(const char *cls);

#endif
