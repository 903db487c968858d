/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PRIV_H
#define PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What priv_separate() returns */
enum priv_role {
	PRIV_ERROR = -1, /* nothing was started */
	PRIV_WORKER = 0, /* the unprivileged process: run the switch */
	PRIV_MONITOR,	 /* the privileged process, after the worker ended */
};

/*
 * What the worker may ask the monitor, the whole list. The monitor checks
 * each request itself (its own configuration, never a path or a command
 * from the worker) before acting on it.
 */
enum priv_req {
	PRIV_REQ_FORWARD_ADD = 1,    /* @text: a --forward SPEC to install */
	PRIV_REQ_FORWARD_REMOVE = 2, /* @text: a --forward SPEC to remove */
	PRIV_REQ_LEASES_OPEN = 3,    /* answer: a descriptor to write into */
	PRIV_REQ_LEASES_COMMIT = 4,  /* sync it and rename it over the file */
	PRIV_REQ_LEASES_ABORT = 5,   /* throw it away */
	PRIV_REQ_CONNECT = 6,	     /* @text: a --connect path; answer: a
					stream socket connected to it */
	PRIV_REQ_DGRAM_CONNECT = 7,  /* @text: a datagram peer's socket file;
					answer: a socket connected to it */
};

#define PRIV_TEXT 256

/**
 * struct priv_msg - one request or answer on the monitor's channel
 * @req:	enum priv_req (the answer repeats it)
 * @status:	answer: 0, or -1 with @text saying why
 * @text:	request argument or error message, NUL-terminated
 */
struct priv_msg {
	uint32_t req;
	int32_t status;
	char text[PRIV_TEXT];
};

/*
 * The monitor's side: answer @m in place; a descriptor to pass along in
 * *@fd (or -1), which the monitor closes once it is sent.
 */
typedef void (*priv_serve_fn)(struct priv_msg *m, int *fd);

/**
 * struct priv_conf - how to separate
 * @user:	the worker's user
 * @sandbox:	the worker enters the sandbox's namespaces (sandbox.h)
 * @parent_init: run in the monitor (the parent) right after the fork
 * @serve:	answers the worker's requests in the monitor
 */
struct priv_conf {
	const char *user;
	bool sandbox;
	void (*parent_init)(void);
	priv_serve_fn serve;
};

enum priv_role priv_separate(const struct priv_conf *pc, int *status, char *err,
			     size_t errlen);
int priv_ask(struct priv_msg *m, int *fd);
const char *priv_default_user(void);

#endif /* PRIV_H */
