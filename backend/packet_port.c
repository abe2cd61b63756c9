// SPDX-License-Identifier: MIT
/*
 * packet_port.c - taps vgate creates for libvirt, read through AF_PACKET
 *
 * Theory of operation
 *
 * A tap has two ends: the character device (/dev/net/tun, one fd per
 * queue) and the network device the kernel sees. --netns (netns.c) keeps
 * the character device for itself. Here the character device is for QEMU:
 * libvirt opens it when it plugs in an <interface type='ethernet'> with
 * <target dev='NAME' managed='no'/>. vgate therefore creates the tap with
 * TUNSETPERSIST, so that it outlives vgate's own fd, closes that fd, and
 * takes the tap's frames at the network-device end:
 *
 *   QEMU --write(tapfd)--> tap rx --> AF_PACKET socket (ETH_P_ALL) --> switch
 *   switch --> send(AF_PACKET socket) --> tap xmit --> read(tapfd) --> QEMU
 *
 * The packet socket is bound to the tap alone (created with protocol 0, so
 * it sees nothing before bind()) and ignores outgoing frames
 * (PACKET_IGNORE_OUTGOING; on kernels without it, sll_pkttype says which
 * they are), so vgate never reads its own frames back.
 *
 * The host's stack also sees what QEMU writes into the tap. It must stay
 * silent and inert there, or the host would answer the guest itself, or
 * route its packets: IPv6 is disabled on the tap before it comes up (no
 * router solicitation, DAD or MLD), ARP is off (IFF_NOARP), the tap gets
 * no IPv4 address, IPv4 forwarding is off on it and reverse-path
 * filtering strict (the guest's addresses are not routed via the tap, so
 * every packet from the guest fails the check, including those to one of
 * the host's own addresses).
 *
 * Sizes: the tap's MTU is vgate's; a frame from the tap longer than the
 * MTU plus an Ethernet header and a VLAN tag (PACKET_PORT_FRAME_EXTRA) is
 * dropped and counted as oversize. A guest only sends those with
 * segmentation offload, which vgatectl switches off on the NICs it plugs
 * in (<driver><host csum='off' .../>): the packet socket sees such frames
 * unsegmented and with partial checksums. Frames shorter than an Ethernet
 * header are runts. Output uses the port's bounded queue (port.c) like
 * every other message transport.
 *
 * Errors: a tap set down makes the socket report ENETDOWN once; that is
 * taken and the port stays (frames sent meanwhile are dropped by the
 * kernel). A tap deleted under vgate unbinds the socket: the port closes.
 *
 * Removing a tap needs a tun fd to clear the persistent flag: vgate opens
 * /dev/net/tun again with the tap's name. That fails with EBUSY while a
 * process still has the tap open, which is how a tap still plugged into
 * QEMU is told apart; at exit vgate deletes such a tap with rtnetlink
 * (RTM_DELLINK) instead.
 */
#include "packet_port.h"

#include "log.h"
#include "pcap.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "tap"
#define TUN_PATH "/dev/net/tun"
/* Reads per readable event before yielding to other fds. */
#define READ_BUDGET 32
/* Larger than any frame accepted (MTU 65520 + PACKET_PORT_FRAME_EXTRA). */
#define RXBUF_SIZE (70 * 1024)

static uint8_t rxbuf[RXBUF_SIZE];
static bool offload_warned;

bool packet_tap_name_ok(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strnlen(name, PACKET_TAP_NAME_MAX + 1);
	if (n == 0 || n > PACKET_TAP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum || c == '_')
			continue;
		if (i > 0 && (c == '-' || c == '.'))
			continue;
		return false;
	}
	return true;
}

static void set_name(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/* Write @val to /proc/sys/net/@family/conf/@name/@key. */
static int sysctl_set(const char *family, const char *name, const char *key, const char *val)
{
	char path[128];
	size_t len = strlen(val);
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, name, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	close(fd);
	return r;
}

/* The kernel's stack silent on @name, its MTU set, up; its index in *@ifindex. */
static int configure(const char *name, unsigned mtu, int *ifindex, char *err, size_t errlen)
{
	static const struct {
		const char *family, *key, *val;
		bool optional; /* no IPv6 in this kernel: nothing to disable */
	} knobs[] = {
		{ "ipv6", "disable_ipv6", "1", true },
		{ "ipv4", "forwarding", "0", false },
		{ "ipv4", "rp_filter", "1", false },
	};
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		r = sysctl_set(knobs[i].family, name, knobs[i].key, knobs[i].val);
		if (r == -ENOENT && knobs[i].optional)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "tap %s: net.%s.conf.%s.%s=%s: %s", name,
				 knobs[i].family, name, knobs[i].key, knobs[i].val, strerror(-r));
			return r;
		}
	}
	if (s < 0) {
		r = -errno;
		snprintf(err, errlen, "tap %s: socket: %s", name, strerror(-r));
		return r;
	}
	set_name(&ifr, name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		goto fail_ioctl;
	set_name(&ifr, name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail_ioctl;
	ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP | IFF_NOARP);
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail_ioctl;
	set_name(&ifr, name);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		goto fail_ioctl;
	*ifindex = ifr.ifr_ifindex;
	return 0;
fail_ioctl:
	r = -errno;
	snprintf(err, errlen, "tap %s: configuring it: %s", name, strerror(-r));
	return r;
}

int packet_tap_create(const char *name, unsigned mtu, int *ifindex, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	struct ifreq ifr;
	int r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", TUN_PATH, strerror(-r));
		return r;
	}
	set_name(&ifr, name);
	/* IFF_TUN_EXCL: an existing device (someone else's tap) is never attached to. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		if (r == -EBUSY) {
			snprintf(err, errlen, "a network device named %s exists already", name);
			return -EEXIST;
		}
		snprintf(err, errlen, "creating tap %s: %s", name, strerror(-r));
		return r;
	}
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		r = -errno;
		snprintf(err, errlen, "tap %s: TUNSETPERSIST: %s", name, strerror(-r));
		return r; /* not persistent yet: closing fd removes it */
	}
	r = configure(name, mtu, ifindex, err, errlen);
	if (r < 0) {
		ioctl(fd, TUNSETPERSIST, 0); /* then closing fd removes it */
		return r;
	}
	return 0;
}

/* Delete the link with index @ifindex through rtnetlink. Return: 0 or -errno. */
static int rtnl_del_link(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		uint8_t bytes[512];
	} ans;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	const struct nlmsgerr *e;
	ssize_t n;

	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_DELLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* The kernel answers inside sendto(): the ack is queued already. */
	n = recv(fd, &ans, sizeof(ans), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if ((size_t)n < NLMSG_LENGTH(sizeof(*e)) || ans.nh.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	e = NLMSG_DATA(&ans.nh);
	return e->error <= 0 ? e->error : -EPROTO;
}

int packet_tap_claim(const char *name, int ifindex)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr;
	unsigned now = if_nametoindex(name);

	if (!now || (int)now != ifindex)
		return -ENODEV; /* gone already (or the name is someone else's now) */
	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	set_name(&ifr, name);
	/* No IFF_TUN_EXCL: attach to the existing tap, or EBUSY while QEMU has it. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	return take_fd(&fd);
}

int packet_tap_release(int fd)
{
	int r = ioctl(fd, TUNSETPERSIST, 0) < 0 ? -errno : 0;

	/* The last fd of a tap that is not persistent closes: the tap goes with it. */
	close(fd);
	return r;
}

int packet_tap_delete(const char *name, int ifindex, bool force)
{
	int fd = packet_tap_claim(name, ifindex), r;

	if (fd == -ENODEV)
		return 0;
	r = fd < 0 ? fd : packet_tap_release(fd);
	if (r < 0 && force)
		r = rtnl_del_link(ifindex);
	return r;
}

int packet_tap_carrier(const char *name)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ethtool_value link = { .cmd = ETHTOOL_GLINK };
	struct ifreq ifr;

	/* The carrier itself (IFF_RUNNING follows it only after linkwatch's delay). */
	if (s < 0)
		return -errno;
	set_name(&ifr, name);
	ifr.ifr_data = (char *)&link;
	if (ioctl(s, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	return link.data ? 1 : 0;
}

int packet_port_open(const char *name, int ifindex, void (*on_close)(struct port *p),
		     struct port **out)
{
	_cleanup_close_ int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int one = 1, rcvbuf = PACKET_PORT_RCVBUF, r;
	char pname[IFNAMSIZ + 8];
	struct port *p;

	if (s < 0) {
		r = -errno;
		log_err(COMP, "%s: packet socket: %s", name, strerror(-r));
		return r;
	}
	if (setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		log_debug(COMP,
			  "%s: PACKET_IGNORE_OUTGOING: %s (outgoing frames are skipped by type)",
			  name, strerror(errno));
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		log_err(COMP, "%s: binding the packet socket: %s", name, strerror(-r));
		return r;
	}
	snprintf(pname, sizeof(pname), "tap %s", name);
	p = port_new(PORT_FROM_TAP, s, s, STREAM_FRAMING_MSG, true, pname);
	if (!p) {
		log_err(COMP, "%s: out of memory", name);
		return -ENOMEM;
	}
	take_fd(&s); /* the port owns it now */
	p->ref.kind = REF_TAP_PORT;
	p->on_close = on_close;
	r = port_attach(p, PORT_RUNNING); /* logs why it failed */
	if (r < 0) {
		port_close(p, "cannot attach");
		return r;
	}
	*out = p;
	return 0;
}

/*
 * Take the socket's pending error. A tap set down (ENETDOWN, still bound)
 * is not fatal. Return: 0, or the -errno that ends the port.
 */
static int take_error(struct port *p, int err)
{
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);

	if (!err) {
		socklen_t elen = sizeof(err);

		if (getsockopt(p->conn.rfd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -errno;
	}
	if (!err)
		return 0;
	if (err != ENETDOWN)
		return -err;
	/* Deleting the device unbinds the socket (index -1). */
	if (getsockname(p->conn.rfd, (struct sockaddr *)&sll, &len) < 0 || sll.sll_ifindex <= 0)
		return -ENODEV;
	log_debug(COMP, "%s: the tap is down", p->name);
	return 0;
}

/* Read what is there (at most READ_BUDGET frames) into the switch. Return: 0 or -errno. */
static int read_frames(struct port *p)
{
	size_t max = (size_t)vg->cfg.mtu + PACKET_PORT_FRAME_EXTRA;

	for (int i = 0; i < READ_BUDGET; i++) {
		struct sockaddr_ll from = { 0 };
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(p->conn.rfd, rxbuf, sizeof(rxbuf), MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return take_error(p, errno);
		}
		if (fromlen > offsetof(struct sockaddr_ll, sll_pkttype) &&
		    from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n < ETH_HLEN) {
			p->conn.stats.rx_runts++;
			vg->drops.runts++;
			continue;
		}
		if ((size_t)n > max) {
			p->conn.stats.rx_oversize++;
			vg->drops.oversize++;
			if (!offload_warned) {
				offload_warned = true;
				log_warn(
					COMP,
					"%s: dropping a %zd-byte frame (MTU %u): the guest's NIC "
					"has segmentation offload on (switch it off: <driver><host "
					"csum='off' .../></driver>)",
					p->name, n, vg->cfg.mtu);
			}
			continue;
		}
		p->conn.stats.rx_frames++;
		p->conn.stats.rx_bytes += (uint64_t)n;
		pcap_write(rxbuf, (size_t)n);
		switch_input(&vg->sw, (unsigned)p->id, rxbuf, (size_t)n, now_ms());
		if (p->state != PORT_RUNNING)
			return 0;
	}
	return 0;
}

void packet_port_handle(struct port *p, uint32_t events)
{
	int r = 0;

	if (p->state != PORT_RUNNING)
		return;
	if (events & (EPOLLERR | EPOLLHUP))
		r = take_error(p, 0);
	if (!r && (events & EPOLLIN))
		r = read_frames(p);
	if (r < 0) {
		port_close(p, r == -ENODEV ? "the tap was deleted" : strerror(-r));
		return;
	}
	if (p->state == PORT_RUNNING)
		port_handle(p, events & EPOLLOUT); /* flush, re-arm */
}
