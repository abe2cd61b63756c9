/* SPDX-License-Identifier: MIT */
/*
 * gapi.h - the guest's side of vgate's in-network forwarder API (gateway:80)
 *
 * Three requests, exactly as gvproxy's API takes them:
 *
 *   POST /services/forwarder/expose    {"local":"127.0.0.1:8080","remote":":8080","protocol":"tcp"}
 *   POST /services/forwarder/unexpose  {"local":"127.0.0.1:8080","protocol":"tcp"}
 *   GET  /services/forwarder/all       -> [{"local":..,"remote":..,"protocol":..}, ...]
 *
 * ("remote" of ":PORT" is filled in by vgate with the caller's own address.)
 * Requests carry "Connection: close"; the answer is read to its end and
 * parsed with http_client_parse() (common/http_client.h). The
 * list is read by a small scanner that understands exactly that shape (an
 * array of flat objects whose values are strings, numbers, booleans or
 * null), without a JSON library, so the static guest binary stays small.
 */
#ifndef VGATE_GAPI_H
#define VGATE_GAPI_H

#include <stdbool.h>
#include <stddef.h>

/* Largest answer read: /all with the most forwards vgate holds (1024). */
#define GAPI_RESP_MAX (256 * 1024)
/* Largest request built. */
#define GAPI_REQ_MAX 1024
/* Longest string value the list scanner keeps. */
#define GAPI_STR_MAX 256

/*
 * gapi_build_request() - an HTTP/1.1 request for the forwarder API
 * @method: "GET" or "POST"
 * @path: "/services/forwarder/..."
 * @host: the Host header (the gateway's address)
 * @token: a bearer token, or NULL / ""
 * @body: JSON text or NULL
 * Return: its length or -ENOSPC.
 */
int gapi_build_request(char *buf, size_t cap, const char *method, const char *path,
		       const char *host, const char *token, const char *body);

/* Called per forward in a list answer; absent keys are "". */
typedef void (*gapi_forward_cb)(void *ctx, const char *local, const char *remote,
				const char *protocol);

/*
 * gapi_parse_forwards() - scan the body of GET /services/forwarder/all
 * Return: number of forwards, or -EPROTO.
 */
int gapi_parse_forwards(const char *body, size_t len, gapi_forward_cb cb, void *ctx);

/* gapi_token_valid() - printable ASCII without spaces (it goes in a header) */
bool gapi_token_valid(const char *t);

#endif
