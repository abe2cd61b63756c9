/* SPDX-License-Identifier: MIT */
/*
 * config.h - the virtual network's configuration
 *
 * Built in three layers, later ones winning: gvproxy's defaults, the JSON
 * file given with -config/--config, then command-line flags. Everything the
 * gateway serves reads it from here; the DNS zones inside it change at run
 * time.
 *
 * JSON schema (every key optional; see README):
 *   {"subnet": "192.168.127.0/24",
 *    "gatewayIP": "192.168.127.1", "gatewayMacAddress": "5a:94:ef:e4:0c:dd",
 *    "deviceIP": "192.168.127.2", "deviceMacAddress": "5a:94:ef:e4:0c:ee",
 *    "hostIP": "192.168.127.254", "gatewayVirtualIPs": ["192.168.127.253"],
 *    "mtu": 1500, "leaseTime": 3600,
 *    "dhcpStaticLeases": {"192.168.127.3": "5a:94:ef:e4:0c:ef"},
 *    "dns": [{"Name": "lab.internal.", "DefaultIP": "",
 *             "Records": [{"Name": "db", "IP": "192.168.127.3", "IPv6": "fd00::3"},
 *                         {"Regexp": "^web[0-9]+$", "IP": "..."}]}],
 *    "dnsSearchDomains": ["example.test"], "domain": "example.test",
 *    "dnsUpstream": ["127.0.0.53", "10.0.0.1:5353"],
 *    "nat": {"192.168.127.254": "127.0.0.1"}, "egressAllow": ["10.0.0.0/8"],
 *    "egressDeny": ["10.1.0.0/16", "0.0.0.0/0:25"], "ec2MetadataAccess": false,
 *    "tcpConnectTimeout": 30, "udpIdleTimeout": 90}
 * A "nat" object replaces the default table ({} removes host loopback access).
 */
#ifndef VGATE_CONFIG_H
#define VGATE_CONFIG_H

#include "dhcp_wire.h"
#include "dns_zone.h"
#include "egress.h"
#include "options.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_VIPS_MAX 16
#define CONFIG_UPSTREAMS_MAX 8
#define CONFIG_STATIC_LEASES_MAX 1024
#define CONFIG_NAME_MAX 256
/* Port forwards the configuration file may declare, and their strings. */
#define CONFIG_FORWARDS_MAX 256
#define CONFIG_FORWARD_STR_MAX 255

struct config_static_lease {
	uint8_t mac[6];
	uint32_t ip; /* network order */
};

/* A forward from the configuration file, opened by forward_init() at start. */
struct config_forward {
	char proto[8]; /* "tcp", "udp", "unix" */
	char local[CONFIG_FORWARD_STR_MAX + 1];
	char remote[CONFIG_FORWARD_STR_MAX + 1];
};

struct vgate_config {
	uint32_t subnet; /* network order, host bits clear */
	unsigned prefix;
	uint32_t netmask;    /* network order */
	uint32_t gateway_ip; /* network order */
	uint8_t gateway_mac[6];
	uint32_t device_ip; /* first guest, network order */
	uint8_t device_mac[6];
	uint32_t host_ip;		/* host alias; 0 = none */
	uint32_t vips[CONFIG_VIPS_MAX]; /* other gateway virtual IPs */
	unsigned nvips;
	uint16_t mtu;
	uint32_t lease_secs;
	struct config_static_lease *static_leases;
	unsigned nstatic;
	struct dns_zones zones;
	char search[DHCP_SEARCH_MAX][CONFIG_NAME_MAX];
	unsigned nsearch;
	bool search_set; /* from the config: do not take the host's */
	bool nat_set;	 /* the file gave a NAT table */
	char domain[CONFIG_NAME_MAX];
	struct sockaddr_storage upstreams[CONFIG_UPSTREAMS_MAX];
	unsigned nupstreams;  /* 0: use /etc/resolv.conf */
	struct egress egress; /* NAT table and policy */
	uint32_t tcp_connect_timeout_ms;
	uint32_t udp_idle_ms;
	struct config_forward *forwards;
	unsigned nforwards;
};

/*
 * config_build() - defaults, then @o->config (JSON), then flags
 * Return: 0, or -EINVAL after logging what is wrong.
 */
int config_build(struct vgate_config *c, const struct vgate_options *o);
void config_free(struct vgate_config *c);

/* Parse a JSON config text into @c (on top of what is there). Return: 0 or -EINVAL. */
int config_load_json(struct vgate_config *c, const char *text, char *err, size_t errlen);

/* Is @ip (network order) one of the gateway's own addresses? */
bool config_is_gateway_addr(const struct vgate_config *c, uint32_t ip);

/* Parse "a.b.c.d[:port]" or "[v6]:port" / "v6" into @sa (default port @port). */
int config_parse_hostport(const char *s, uint16_t port, struct sockaddr_storage *sa);

#endif
