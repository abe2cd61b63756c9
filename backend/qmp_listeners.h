/* SPDX-License-Identifier: MIT */
/*
 * qmp_listeners.h - /v1/listeners: list vgate's listeners, open a QEMU
 * listener at run time
 *
 * `vgatectl attach` hot-plugs a NIC into a running QEMU through QMP; the
 * NIC's netdev connects to one of vgate's -listen-qemu sockets. When vgate
 * has none (or not the one asked for), vgatectl asks for it here:
 *
 *   GET  /v1/listeners  [{"kind":"qemu","url":"unix:///run/vgate/qemu.sock",
 *                         "accepted":N,"refused":N}, ...]
 *   POST /v1/listeners  {"url":"unix:///run/vgate/vm2.sock"}  (optional
 *                       "kind":"qemu", the only kind opened at run time)
 *     200 {"kind":"qemu","url":...,"created":true}  opened
 *     200 ... "created":false                       already listening there
 *     400 text   malformed body, unusable URL, path not permitted, bound hit
 *     409 text   the address is in use, or the path is not a socket
 *     500 text   anything else
 *   other methods: 405
 *
 * Unix paths follow the rule for unix port forwards (forward.c): absolute,
 * no ".", ".." or empty components, below the directory of one of vgate's
 * unix API sockets or $XDG_RUNTIME_DIR, the parent directory resolved
 * again when the socket is created. TCP listeners only on loopback
 * addresses. At most QMP_LISTENERS_API_MAX are opened this way over the
 * daemon's life (and VGATE_LISTENERS_MAX in all).
 */
#ifndef VGATE_QMP_LISTENERS_H
#define VGATE_QMP_LISTENERS_H

#include "url.h"

#include <stddef.h>

/* QEMU listeners POST /v1/listeners may open over the daemon's life. */
#define QMP_LISTENERS_API_MAX 16
/* Permitted directories for unix listeners opened through the API. */
#define QMP_LISTENERS_DIRS_MAX 16
/* Longest "url" accepted. */
#define QMP_LISTENERS_URL_MAX (STREAM_URL_PATH_MAX + 16)

/*
 * qmp_listeners_init() - add the /v1/listeners route (after api_init()) and
 * note the permitted directories from vg->opt
 * Return: 0 or -errno (logged).
 */
int qmp_listeners_init(void);
void qmp_listeners_fini(void);

/*
 * qmp_listeners_parse() - read a POST body: {"url": STRING[, "kind": "qemu"]}
 * @url: receives the URL text (at most QMP_LISTENERS_URL_MAX bytes + NUL)
 * Return: 0; -EINVAL with @err saying why (not JSON, not an object, no
 * "url", a wrong type, another kind, an unknown key, too long, NUL bytes).
 */
int qmp_listeners_parse(const char *body, size_t len, char *url, size_t urlcap, char *err,
			size_t errlen);

/*
 * qmp_listeners_check() - may a QEMU listener be opened at @url?
 * @dirs: the permitted directories for unix paths
 * Fills @u. Return: 0; -EINVAL with @err saying why (a scheme other than
 * unix:// or tcp://, a path suffix, a unix path that is relative, has ".",
 * ".." or empty components, or is not below a permitted directory, a TCP
 * host that is not a loopback address).
 */
int qmp_listeners_check(const char *url, const char *const *dirs, unsigned ndirs,
			struct stream_url *u, char *err, size_t errlen);

#endif
