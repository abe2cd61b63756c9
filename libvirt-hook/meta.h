/* SPDX-License-Identifier: MIT */
/*
 * meta.h - a libvirt domain's vgate metadata and the NICs wired to vgate
 *
 * meta_parse() reads a whole domain XML document (as libvirt hands it to a
 * hook on stdin, or as virDomainGetXMLDesc() returns it) from a byte buffer
 * and fills a struct meta_domain: the domain's name, the networks its
 * <metadata> declares in the namespace META_NS (schema: vgate.rng beside
 * this file, prose: README.md), and every NIC the domain wires to a vgate
 * (a <qemu:commandline> -netdev stream, or an <interface type='client'>).
 * Everything is validated here, so the hook can refuse a bad domain with
 * one clear message before anything is started. Nothing is allocated
 * beyond the struct itself: every list has a named maximum.
 */
#ifndef VGATE_HOOK_META_H
#define VGATE_HOOK_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The metadata namespace. */
#define META_NS "urn:vgate:libvirt:1"
/* The namespace of libvirt's <qemu:commandline>. */
#define META_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/* Largest domain XML document read. */
#define META_XML_MAX (16u << 20)
/* Longest domain name served (the state paths must fit a unix socket path). */
#define META_DOMAIN_NAME_MAX 64
/* Longest network name or id. */
#define META_ID_MAX 32
/* Longest attribute value kept. */
#define META_VALUE_MAX 256
/* Networks per domain. */
#define META_NETS_MAX 8
/* Forwards, static leases, zones, records, other lists: per network. */
#define META_FORWARDS_MAX 64
#define META_LEASES_MAX 64
#define META_ZONES_MAX 16
#define META_RECORDS_MAX 256
#define META_LIST_MAX 16
/* NICs per domain wired to vgate. */
#define META_NICS_MAX 16
/* Longest unix socket path. */
#define META_PATH_MAX 108

enum meta_proto {
	META_TCP,
	META_UDP,
	META_UNIX,
};

struct meta_forward {
	enum meta_proto proto;
	char host[META_PATH_MAX]; /* "127.0.0.1:2222", "[::1]:80", ":80", or a path */
	char guest_ip[16];	  /* "" = the domain's own guest address */
	uint16_t guest_port;
};

struct meta_lease {
	uint8_t mac[6];
	uint32_t ip; /* network order */
};

struct meta_record {
	unsigned zone; /* index into meta_net.zones */
	char name[64];
	char regexp[META_VALUE_MAX];
	char ip[16];
	char ipv6[46];
};

struct meta_zone {
	char name[META_VALUE_MAX];
	char default_ip[16];
};

enum meta_tristate {
	META_UNSET,
	META_NO,
	META_YES,
};

struct meta_net {
	char name[META_ID_MAX + 1]; /* shared network ("" = the domain's own) */
	char id[META_ID_MAX + 1];   /* the domain's second, third... network */
	uint16_t port;		    /* also listen on 127.0.0.1:port (0: no) */
	uint32_t subnet;	    /* network order */
	unsigned prefix;
	bool subnet_set;
	uint32_t gateway_ip, guest_ip, host_ip; /* network order; defaults filled in */
	bool guest_ip_set;
	uint8_t gateway_mac[6];
	bool gateway_mac_set;
	unsigned mtu; /* 0: vgate's default */
	unsigned lease_time;
	unsigned tcp_connect_timeout, udp_idle_timeout;
	char dhcp_domain[META_VALUE_MAX];
	enum meta_tristate host_loopback, link_local, guest_api, debug;
	char guest_api_token[META_PATH_MAX];

	struct meta_forward forwards[META_FORWARDS_MAX];
	unsigned nforwards;
	struct meta_lease leases[META_LEASES_MAX];
	unsigned nleases;
	struct meta_zone zones[META_ZONES_MAX];
	unsigned nzones;
	struct meta_record records[META_RECORDS_MAX];
	unsigned nrecords;
	char search[META_LIST_MAX][META_VALUE_MAX];
	unsigned nsearch;
	char upstream[META_LIST_MAX][64];
	unsigned nupstream;
	uint32_t nat_virtual[META_LIST_MAX], nat_real[META_LIST_MAX];
	unsigned nnat;
	char vips[META_LIST_MAX][16];
	unsigned nvips;
	char egress_allow[META_LIST_MAX][64], egress_deny[META_LIST_MAX][64];
	unsigned nallow, ndeny;
};

enum meta_nic_kind {
	META_NIC_STREAM, /* <qemu:commandline> -netdev stream to a unix socket */
	META_NIC_TCP,	 /* <interface type='client'> to 127.0.0.1:port */
};

struct meta_nic {
	enum meta_nic_kind kind;
	char id[64];		  /* netdev id, or libvirt's alias ("" if none) */
	char path[META_PATH_MAX]; /* stream */
	uint16_t port;		  /* tcp */
	bool server;		  /* stream with server=on: QEMU listens */
	uint8_t mac[6];
	bool has_mac;
};

struct meta_domain {
	char name[META_DOMAIN_NAME_MAX + 1];
	bool has_vgate; /* the metadata has a vgate element */
	struct meta_net nets[META_NETS_MAX];
	unsigned nnets;
	struct meta_nic nics[META_NICS_MAX];
	unsigned nnics;
	char dac_label[META_VALUE_MAX]; /* <seclabel model='dac'><label> ("" if none) */
};

/*
 * meta_quick_check() - might @xml hold vgate metadata at all?
 * A byte search for META_NS, so domains without vgate cost no parse.
 */
bool meta_quick_check(const char *xml, size_t len);

/*
 * meta_parse() - parse and validate a domain XML document
 * @xml: @len bytes, not necessarily NUL-terminated
 * @d: filled in (zeroed first); d->has_vgate false when there is no vgate
 *     metadata (then nothing else but the name and NICs is set)
 * @err: on failure, one line saying what is wrong and where
 *
 * The document is parsed without network access, without loading or
 * applying a DTD and without substituting entities; a document with a
 * DOCTYPE is refused outright.
 * Return: 0, -EINVAL (bad document, @err says why), -E2BIG (over
 * META_XML_MAX) or -ENOMEM.
 */
int meta_parse(const char *xml, size_t len, struct meta_domain *d, char *err, size_t errlen);

/*
 * meta_parse_element() - parse just a vgate metadata element (as
 * virDomainGetMetadata() returns it) into @d's networks, name unset.
 * Return: as meta_parse().
 */
int meta_parse_element(const char *xml, size_t len, struct meta_domain *d, char *err,
		       size_t errlen);

/*
 * meta_domain_name_ok() - can @name be served (length, no '/', no leading
 * '.', no control characters)?
 */
bool meta_domain_name_ok(const char *name);

/*
 * meta_qemu_opts_get() - the value of @key in a QEMU option string such as
 * "stream,id=n0,addr.path=/a,,b" ("a,,b" is an escaped comma); the first
 * word without '=' is returned for key "type"
 * Return: 0 with the value in @out, -ENOENT, or -ENAMETOOLONG if it does not fit.
 */
int meta_qemu_opts_get(const char *opts, const char *key, char *out, size_t n);

/* meta_mac_parse() - "52:54:00:ab:cd:ef" (either case). Return: 0 or -EINVAL. */
int meta_mac_parse(const char *s, uint8_t mac[6]);

/* meta_mac_format() - @mac as lower-case "52:54:00:ab:cd:ef" into @out (18 bytes). */
void meta_mac_format(const uint8_t mac[6], char out[18]);

#endif
