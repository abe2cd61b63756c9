/* SPDX-License-Identifier: MIT */
/*
 * request_body.h - the JSON bodies vgatectl sends (expose, unexpose, dns add)
 *
 * Built with yajl's generator from command-line words, so quoting and
 * escaping are never done by hand; each builder checks what it can before
 * anything is sent, and names the offending word.
 */
#ifndef VGATE_REQUEST_BODY_H
#define VGATE_REQUEST_BODY_H

#include <stddef.h>

/* Largest zone file --file reads. */
#define REQUEST_BODY_FILE_MAX (1u << 20)

/*
 * request_body_expose() - {"local":..,"remote":..,"protocol":..}
 * Return: 0 with a malloc'd string in *@out, -EINVAL (not UTF-8) or -ENOMEM.
 */
int request_body_expose(const char *local, const char *remote, const char *protocol, char **out);

/* request_body_unexpose() - {"local":..,"protocol":..}; as above. */
int request_body_unexpose(const char *local, const char *protocol, char **out);

/*
 * request_body_zone() - one zone object for POST /services/dns/add
 * @records: @n words "NAME=IP"; an IPv4 address gives "IP", an IPv6 one
 *           "IPv6"; NAME "*" sets the zone's "DefaultIP" (IPv4 only)
 *
 * Return: 0 with a malloc'd string in *@out; -EINVAL with @err naming the
 * bad word; -ENOMEM.
 */
int request_body_zone(const char *zone, const char *const *records, size_t n, char **out, char *err,
		      size_t errlen);

/*
 * request_body_read_file() - read a zone file (JSON) for --file
 * Return: 0 with a malloc'd, NUL-terminated copy in *@out and its length
 * in *@len; -EFBIG over REQUEST_BODY_FILE_MAX; -EINVAL when it is not a
 * JSON object (@err says why); -errno of open/read.
 */
int request_body_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

#endif
