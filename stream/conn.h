/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one frame-carrying connection: fds, decoder, bounded output
 *
 * A stream_conn moves Ethernet frames over one of vgate's transports without
 * knowing what the frames are for. It never blocks: reads stop at EAGAIN (or
 * after a budget, so one busy peer cannot starve the others) and writes leave
 * what did not fit in the bounded output queue for the next flush. The caller
 * owns the event loop and registers the fds; the connection only says whether
 * output is pending.
 *
 * Kinds of fd it handles:
 *   - byte streams (unix/TCP/vsock sockets, stdio pipes): BE32 or LE16 framing,
 *     separate read and write fds allowed (stdio);
 *   - message sockets (SEQPACKET, connected or learnt-peer datagrams);
 *   - a tap device (one frame per read/write).
 */
#ifndef VGATE_CONN_H
#define VGATE_CONN_H

#include "framing.h"
#include "txq.h"

#include <stdbool.h>
#include <sys/socket.h>

/* Reads per stream_conn_read() call before yielding to other fds. */
#define STREAM_READ_BUDGET 32

struct stream_conn_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_runts;	/* frames under 14 bytes, dropped */
	uint64_t rx_oversize;	/* frames over the framing's maximum */
	uint64_t rx_handshakes; /* legacy VFKT datagrams swallowed */
};

struct stream_conn {
	int rfd;
	int wfd;
	enum stream_framing framing;
	bool is_socket;	 /* sendmsg/recvfrom usable */
	int sotype;	 /* SOCK_STREAM, SOCK_DGRAM, ... (sockets only) */
	bool learn_peer; /* unconnected datagram socket: reply to the sender */
	bool has_peer;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct stream_decoder rx; /* byte streams only */
	uint8_t *msgbuf;	  /* message transports only */
	struct stream_txq tx;
	struct stream_conn_stats stats;
};

/*
 * stream_conn_init() - set up buffers for a connection over @rfd/@wfd
 * (equal for sockets). Ownership of the fds stays with the caller until
 * stream_conn_close().
 * Return: 0 or -ENOMEM.
 */
int stream_conn_init(struct stream_conn *c, int rfd, int wfd, enum stream_framing framing,
		     bool is_socket);

/* Free buffers and close the fds. */
void stream_conn_close(struct stream_conn *c);

/*
 * stream_conn_read() - read what is available and emit each frame via @cb
 * Return: frames emitted (>= 0) when the fd has nothing more for now or the
 * budget ran out; -ESHUTDOWN on end of stream (EOF, or EOF in the middle of a
 * frame); -EMSGSIZE when a stream announced an oversized frame; other -errno
 * on a socket error.
 */
int stream_conn_read(struct stream_conn *c, stream_frame_cb cb, void *ctx);

/*
 * stream_conn_send() - queue a frame for the peer (written at next flush)
 * Return: 0, -ENOBUFS (dropped: queue full), -EMSGSIZE (cannot be framed),
 * -ENOTCONN (datagram peer not learnt yet; dropped).
 */
int stream_conn_send(struct stream_conn *c, const uint8_t *frame, size_t len);

/*
 * stream_conn_send_now() - on a message transport whose queue is empty,
 * send @frame at once (no copy into the queue); otherwise queue it
 * Return: as stream_conn_send(), or -errno when the transport failed.
 */
int stream_conn_send_now(struct stream_conn *c, const uint8_t *frame, size_t len);

/*
 * stream_conn_flush() - write queued frames
 * Return: 0 when the queue is empty, -EAGAIN when bytes remain (wait for
 * EPOLLOUT), other -errno when the connection failed.
 */
int stream_conn_flush(struct stream_conn *c);

/*
 * stream_conn_feed() - decode bytes that arrived before framing started
 * (e.g. read past a /connect request's headers)
 * Return: as stream_decoder_feed().
 */
int stream_conn_feed(struct stream_conn *c, const uint8_t *bytes, size_t len, stream_frame_cb cb,
		     void *ctx);

#endif
