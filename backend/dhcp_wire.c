// SPDX-License-Identifier: MIT
/*
 * dhcp_wire.c - DHCPv4 messages on byte buffers (RFC 2131, RFC 2132)
 *
 * Theory of operation
 *
 * A DHCP message is a fixed 236-byte BOOTP header, the magic cookie
 * 99.130.83.99 and a sequence of options. dhcp_parse() never trusts a length:
 * it checks the header fits, then walks the options with dhcp_opts_walk()
 * (common/dhcp_opts.c, shared with vgate-guest's client), whose cursor is
 * bounded by the end of the area being walked. Pad (0) is one byte, end
 * (255) stops the area, every other option is code, length, data, and an
 * option whose length byte or data would cross the end of its area makes the
 * whole message -EBADMSG. An area may also simply run out without an end
 * option: what was there was complete, so it is accepted.
 *
 * Option overload (52) lets a client continue its options in the 128-byte
 * file field (bit 1) and the 64-byte sname field (bit 2). Those areas are
 * walked after the main options, file before sname, the order in which RFC
 * 3396 concatenates an option split over several areas. Option 52 inside an
 * overloaded area is ignored, so overload cannot recurse.
 *
 * RFC 3396 also says that an option appearing more than once is one option
 * whose data are the instances concatenated. The variable-length options we
 * keep (12 hostname, 55 parameter list, 61 client id) are therefore
 * accumulated across instances; the parameter list and client id keep their
 * first DHCP_PARAMS_MAX / DHCP_CLIENT_ID_MAX bytes, and a hostname that ends
 * up longer than 63 bytes or with a byte outside printable ASCII becomes "".
 * The fixed-length options (52, 53 len 1; 50, 54 len 4; 57 len 2) are
 * checked per instance and the last instance wins. A message type outside
 * 1..8 is rejected, so callers can index tables by it.
 *
 * dhcp_build_reply() writes the header, the cookie, the options in one fixed
 * order (53, 54, 51, 58, 59, 1, 3, 6, 26, 15, 119, 56), end, and zero padding
 * to the BOOTP minimum of 300 bytes. Every write is checked against the
 * caller's capacity first; a reply that does not fit is -ENOSPC and the
 * buffer's contents are then unspecified. Data longer than 255 bytes (the
 * search list, in practice) is split over consecutive instances of its
 * option, as RFC 3396 allows.
 */
#include "dhcp_wire.h"

#include "dhcp_opts.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Offsets of the BOOTP header fields (RFC 2131, figure 1). */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_HOPS 3
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_GIADDR 24
#define OFF_CHADDR 28
#define OFF_COOKIE 236

#define DHCP_BOOTP_MIN 300 /* RFC 1542: a BOOTP message is at least 300 bytes */
#define OPT_DATA_MAX 255

enum dhcp_opt {
	OPT_PAD = 0,
	OPT_NETMASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAMS = 55,
	OPT_MESSAGE = 56,
	OPT_MAX_SIZE = 57,
	OPT_RENEWAL = 58,
	OPT_REBINDING = 59,
	OPT_CLIENT_ID = 61,
	OPT_SEARCH = 119,
	OPT_END = 255,
};

static const uint8_t dhcp_cookie[4] = { 99, 130, 83, 99 };

/* State carried across the option areas of one message. */
struct parse_state {
	struct dhcp_msg *m;
	size_t hostname_len; /* bytes of option 12 seen, may exceed the buffer */
	bool hostname_bad;   /* a byte outside printable ASCII was seen */
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16_be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * parse_option() - take one option's data into the message (dhcp_opt_fn)
 * @ctx:	the parse state
 * @code:	option code (not pad, end or overload)
 * @data:	option data, @len bytes, already bounds-checked
 * @len:	data length
 *
 * Return: 0, or -EBADMSG for a fixed-length option of the wrong length or a
 * value no message may carry.
 */
static int parse_option(void *ctx, uint8_t code, const uint8_t *data, size_t len)
{
	struct parse_state *st = ctx;
	struct dhcp_msg *m = st->m;
	size_t n;

	switch (code) {
	case OPT_MSG_TYPE:
		if (len != 1 || data[0] < DHCP_DISCOVER || data[0] > DHCP_INFORM)
			return -EBADMSG;
		m->type = (enum dhcp_type)data[0];
		break;
	case OPT_REQUESTED_IP:
		if (len != 4)
			return -EBADMSG;
		m->has_requested_ip = true;
		m->requested_ip = get32(data);
		break;
	case OPT_SERVER_ID:
		if (len != 4)
			return -EBADMSG;
		m->has_server_id = true;
		m->server_id = get32(data);
		break;
	case OPT_MAX_SIZE:
		if (len != 2)
			return -EBADMSG;
		m->max_size = get16_be(data);
		break;
	case OPT_HOSTNAME:
		for (size_t i = 0; i < len; i++) {
			if (data[i] < 0x20 || data[i] > 0x7e)
				st->hostname_bad = true;
			if (st->hostname_len + i < DHCP_HOSTNAME_MAX)
				m->hostname[st->hostname_len + i] = (char)data[i];
		}
		st->hostname_len += len;
		break;
	case OPT_PARAMS:
		n = len;
		if (n > DHCP_PARAMS_MAX - m->nparams)
			n = DHCP_PARAMS_MAX - m->nparams;
		memcpy(m->params + m->nparams, data, n);
		m->nparams += n;
		break;
	case OPT_CLIENT_ID:
		n = len;
		if (n > DHCP_CLIENT_ID_MAX - m->client_id_len)
			n = DHCP_CLIENT_ID_MAX - m->client_id_len;
		memcpy(m->client_id + m->client_id_len, data, n);
		m->client_id_len += n;
		break;
	default:
		break;
	}
	return 0;
}

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	struct parse_state st = { .m = m };
	int r;

	memset(m, 0, sizeof(*m));
	if (!buf || len < DHCP_MIN_LEN)
		return -EBADMSG;
	if (buf[OFF_OP] != 1 && buf[OFF_OP] != 2)
		return -EBADMSG;
	if (buf[OFF_HLEN] > sizeof(m->chaddr))
		return -EBADMSG;
	if (memcmp(buf + OFF_COOKIE, dhcp_cookie, sizeof(dhcp_cookie)) != 0)
		return -EBADMSG;

	m->op = buf[OFF_OP];
	m->htype = buf[OFF_HTYPE];
	m->hlen = buf[OFF_HLEN];
	m->hops = buf[OFF_HOPS];
	m->xid = get32(buf + OFF_XID);
	m->secs = get16_be(buf + OFF_SECS);
	m->flags = get16_be(buf + OFF_FLAGS);
	m->ciaddr = get32(buf + OFF_CIADDR);
	m->yiaddr = get32(buf + OFF_YIADDR);
	m->siaddr = get32(buf + OFF_SIADDR);
	m->giaddr = get32(buf + OFF_GIADDR);
	memcpy(m->chaddr, buf + OFF_CHADDR, sizeof(m->chaddr));

	r = dhcp_opts_walk(buf, len, parse_option, &st);
	if (r < 0) {
		memset(m, 0, sizeof(*m));
		return r;
	}

	if (st.hostname_bad || st.hostname_len > DHCP_HOSTNAME_MAX)
		memset(m->hostname, 0, sizeof(m->hostname));
	else
		m->hostname[st.hostname_len] = '\0';
	return 0;
}

/* A bounded writer over the caller's buffer: the first overflow sticks. */
struct writer {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool full;
};

static void put(struct writer *w, const void *data, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void put_byte(struct writer *w, uint8_t v)
{
	put(w, &v, 1);
}

/* An option, split over consecutive instances if @len exceeds 255 (RFC 3396). */
static void put_option(struct writer *w, uint8_t code, const void *data, size_t len)
{
	const uint8_t *d = data;

	do {
		size_t n = len > OPT_DATA_MAX ? OPT_DATA_MAX : len;

		put_byte(w, code);
		put_byte(w, (uint8_t)n);
		put(w, d, n);
		d += n;
		len -= n;
	} while (len);
}

static void put_option_addr(struct writer *w, uint8_t code, uint32_t addr)
{
	put_option(w, code, &addr, 4);
}

static void put_option_u32(struct writer *w, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put_option(w, code, b, 4);
}

int dhcp_build_reply(uint8_t *out, size_t cap, const struct dhcp_msg *req,
		     const struct dhcp_reply *r)
{
	struct writer w = { .p = out, .cap = cap };
	bool nak = r->type == DHCP_NAK;
	uint8_t hdr[DHCP_FIXED_LEN];
	uint8_t type = (uint8_t)r->type;

	if (!out || cap < DHCP_BOOTP_MIN)
		return -ENOSPC;

	/*
	 * RFC 2131, table 3: a NAK carries no addresses at all; ciaddr is
	 * echoed only in an ACK (to a client that is renewing or sent INFORM).
	 */
	memset(hdr, 0, sizeof(hdr));
	hdr[OFF_OP] = 2;
	hdr[OFF_HTYPE] = req->htype;
	hdr[OFF_HLEN] = req->hlen > sizeof(req->chaddr) ? sizeof(req->chaddr) : req->hlen;
	memcpy(hdr + OFF_XID, &req->xid, 4);
	hdr[OFF_FLAGS] = (uint8_t)(req->flags >> 8);
	hdr[OFF_FLAGS + 1] = (uint8_t)req->flags;
	if (r->type == DHCP_ACK)
		memcpy(hdr + OFF_CIADDR, &req->ciaddr, 4);
	if (!nak) {
		memcpy(hdr + OFF_YIADDR, &r->yiaddr, 4);
		memcpy(hdr + OFF_SIADDR, &r->server_id, 4);
	}
	memcpy(hdr + OFF_GIADDR, &req->giaddr, 4);
	memcpy(hdr + OFF_CHADDR, req->chaddr, sizeof(req->chaddr));
	put(&w, hdr, sizeof(hdr));
	put(&w, dhcp_cookie, sizeof(dhcp_cookie));

	put_option(&w, OPT_MSG_TYPE, &type, 1);
	put_option_addr(&w, OPT_SERVER_ID, r->server_id);
	if (!nak) {
		if (r->lease_secs) {
			put_option_u32(&w, OPT_LEASE_TIME, r->lease_secs);
			put_option_u32(&w, OPT_RENEWAL, r->lease_secs / 2);
			put_option_u32(&w, OPT_REBINDING,
				       (uint32_t)((uint64_t)r->lease_secs * 7 / 8));
		}
		put_option_addr(&w, OPT_NETMASK, r->netmask);
		put_option_addr(&w, OPT_ROUTER, r->router);
		put_option_addr(&w, OPT_DNS, r->dns);
		if (r->mtu) {
			uint8_t mtu[2] = { (uint8_t)(r->mtu >> 8), (uint8_t)r->mtu };

			put_option(&w, OPT_MTU, mtu, 2);
		}
		if (r->domain && r->domain[0])
			put_option(&w, OPT_DOMAIN, r->domain, strlen(r->domain));
		if (r->search[0]) {
			/* Every name at its longest, so only the capacity can fail. */
			uint8_t enc[DHCP_SEARCH_MAX * 256];
			const char *names[DHCP_SEARCH_MAX + 1] = { NULL };
			int n;

			/* The array may be full, with no NULL after it. */
			for (size_t i = 0; i < DHCP_SEARCH_MAX && r->search[i]; i++)
				names[i] = r->search[i];
			n = dhcp_encode_search(names, enc, sizeof(enc));
			if (n < 0)
				return n;
			if (n > 0)
				put_option(&w, OPT_SEARCH, enc, (size_t)n);
		}
	} else if (r->message && r->message[0]) {
		put_option(&w, OPT_MESSAGE, r->message, strlen(r->message));
	}
	put_byte(&w, OPT_END);

	if (w.full)
		return -ENOSPC;
	if (w.len < DHCP_BOOTP_MIN) {
		memset(out + w.len, 0, DHCP_BOOTP_MIN - w.len);
		w.len = DHCP_BOOTP_MIN;
	}
	return (int)w.len;
}

/**
 * encode_name() - one name as RFC 1035 labels
 * @name:	dotted name; a trailing dot is allowed
 * @out:	room for at least 256 bytes
 *
 * Return: bytes written, or 0 if the name is empty, has an empty label, a
 * label over 63 bytes, or encodes to more than 255 bytes.
 */
static size_t encode_name(const char *name, uint8_t *out)
{
	size_t len = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t label = dot ? (size_t)(dot - name) : strlen(name);

		if (label == 0 || label > 63 || len + 1 + label + 1 > 255)
			return 0;
		out[len++] = (uint8_t)label;
		memcpy(out + len, name, label);
		len += label;
		name += label;
		if (*name == '.')
			name++;
	}
	if (len == 0)
		return 0;
	out[len++] = 0;
	return len;
}

int dhcp_encode_search(const char *const *names, uint8_t *out, size_t cap)
{
	size_t total = 0;

	for (size_t i = 0; names && names[i]; i++) {
		uint8_t enc[256];
		size_t n = encode_name(names[i], enc);

		if (n == 0)
			continue;
		if (cap - total < n)
			return -ENOSPC;
		memcpy(out + total, enc, n);
		total += n;
	}
	return (int)total;
}
