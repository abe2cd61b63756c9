// SPDX-License-Identifier: MIT
/*
 * resolv.c - read the host's resolv.conf, and notice when it changes
 */
#include "resolv.h"

#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMP "resolv"

/* Next blank-separated word; one too long for @cap comes back as "-". */
static size_t next_word(const char *s, size_t len, size_t *pos, char *out, size_t cap)
{
	size_t n = 0;
	bool cut = false;

	while (*pos < len && (s[*pos] == ' ' || s[*pos] == '\t'))
		(*pos)++;
	while (*pos < len && s[*pos] != ' ' && s[*pos] != '\t') {
		if (n + 1 < cap)
			out[n++] = s[*pos];
		else
			cut = true;
		(*pos)++;
	}
	out[n] = '\0';
	if (cut) {
		/* Never store a shortened name: the caller skips "-". */
		snprintf(out, cap, "-");
		return 1;
	}
	return n;
}

static void add_ns(struct resolv_conf *rc, char *addr)
{
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	char *pct = strchr(addr, '%');

	if (rc->nns >= RESOLV_NS_MAX)
		return;
	if (pct)
		*pct = '\0';
	memset(&rc->ns[rc->nns], 0, sizeof(rc->ns[0]));
	s4 = (struct sockaddr_in *)&rc->ns[rc->nns];
	s6 = (struct sockaddr_in6 *)&rc->ns[rc->nns];
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		rc->nns++;
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		rc->nns++;
	}
}

void resolv_parse(const char *text, size_t len, struct resolv_conf *rc)
{
	size_t pos = 0;

	memset(rc, 0, sizeof(*rc));
	while (pos < len) {
		size_t eol = pos;
		char word[RESOLV_NAME_MAX];

		while (eol < len && text[eol] != '\n')
			eol++;
		if (next_word(text, eol, &pos, word, sizeof(word))) {
			if (!strcmp(word, "nameserver")) {
				if (next_word(text, eol, &pos, word, sizeof(word)))
					add_ns(rc, word);
			} else if (!strcmp(word, "search") || !strcmp(word, "domain")) {
				rc->nsearch = 0;
				while (rc->nsearch < RESOLV_SEARCH_MAX &&
				       next_word(text, eol, &pos, word, sizeof(word))) {
					if (word[0] == '#' || word[0] == ';')
						break;
					if (!strcmp(word, "-"))
						continue;
					snprintf(rc->search[rc->nsearch++], RESOLV_NAME_MAX, "%s",
						 word);
				}
			}
		}
		pos = eol + 1;
	}
}

static struct resolv_conf cached;
static struct stat cached_st;
static bool cached_valid;
static uint64_t last_check;
static char cached_path[256];

const struct resolv_conf *resolv_get(const char *path)
{
	uint64_t now = now_ms();
	struct stat st;
	char buf[RESOLV_FILE_MAX];
	ssize_t n;
	int fd;

	if (cached_valid && !strcmp(path, cached_path) && now - last_check < RESOLV_CHECK_MS)
		return &cached;
	last_check = now;
	if (stat(path, &st) < 0) {
		if (cached_valid || !cached_path[0])
			log_warn(COMP, "%s: %s; no upstream resolvers", path, strerror(errno));
		memset(&cached, 0, sizeof(cached));
		cached_valid = false;
		snprintf(cached_path, sizeof(cached_path), "%s", path);
		return &cached;
	}
	if (cached_valid && !strcmp(path, cached_path) && st.st_ino == cached_st.st_ino &&
	    st.st_size == cached_st.st_size && st.st_mtim.tv_sec == cached_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cached_st.st_mtim.tv_nsec)
		return &cached;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		log_warn(COMP, "%s: %s", path, strerror(errno));
		n = 0;
	}
	resolv_parse(buf, (size_t)n, &cached);
	cached_st = st;
	cached_valid = true;
	snprintf(cached_path, sizeof(cached_path), "%s", path);
	log_info(COMP, "%s: %u nameserver(s), %u search domain(s)", path, cached.nns,
		 cached.nsearch);
	return &cached;
}
