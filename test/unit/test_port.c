/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the port table: ids, the free list, the dense list of open
 * ports, the owner's hooks, descriptors closed with their ports, a full
 * table.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "port.h"
#include "unit.h"

static unsigned int opened, closing, closed;
static char last_why[64];
static unsigned int last_closing;

/**
 * hook_opened() - count opened ports
 * @p:		the port
 */
static void hook_opened(struct port *p)
{
	opened++;
}

/**
 * hook_closing() - count closing ports; the port must still be whole
 * @p:		the port
 * @why:	the reason
 */
static void hook_closing(struct port *p, const char *why)
{
	CHECK(p->open);
	CHECK(p->txq.buf != NULL);
	snprintf(last_why, sizeof(last_why), "%s", why);
	last_closing = p->id;
	closing++;
}

/**
 * kind_closed() - the kind's closed(): runs after the owner's hook
 * @p:		the port
 */
static void kind_closed(struct port *p)
{
	CHECK_EQ(last_closing, p->id);
	closed++;
}

/**
 * kind_flush() - a flush that is never called here
 * @p:		the port
 *
 * Return: PORT_TX_IDLE
 */
static enum port_tx kind_flush(struct port *p)
{
	return PORT_TX_IDLE;
}

static const struct port_ops own_ops = {
    .name = "test",
    .flush = kind_flush,
    .closed = kind_closed,
    .owns_fd = true,
};

static const struct port_ops shared_ops = {
    .name = "test-shared",
    .flush = kind_flush,
    .owns_fd = false,
};

/**
 * setup() - a fresh table of @n slots with the counting hooks
 * @n:		slots
 */
static void setup(unsigned int n)
{
	static const struct port_hooks hooks = {
	    .opened = hook_opened,
	    .closing = hook_closing,
	};

	log_init("test_port", LOG_LVL_ERROR);
	CHECK_EQ(port_table_init(n, 4096), 0);
	port_set_hooks(&hooks);
	opened = closing = closed = 0;
}

/**
 * fd_open() - tell whether a descriptor is open
 * @fd:		the descriptor
 *
 * Return: true if it is
 */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/**
 * test_ids_and_reuse() - lowest ids first, a freed id is reused
 */
static void test_ids_and_reuse(void)
{
	struct port *p[4];

	setup(4);
	for (int i = 0; i < 4; i++) {
		p[i] = port_open(PORT_STREAM, &shared_ops, -1, 0);
		CHECK(p[i] != NULL);
		if (p[i])
			CHECK_EQ(p[i]->id, i);
	}
	CHECK_EQ(opened, 4);
	CHECK_EQ(port_count(), 4);
	CHECK_EQ(port_max(), 4);
	/* Full: refused, nothing changes. */
	CHECK(port_open(PORT_STREAM, &shared_ops, -1, 0) == NULL);
	CHECK_EQ(port_count(), 4);
	port_close(p[2], "test");
	CHECK_EQ(closing, 1);
	CHECK_STR_CONTAINS(last_why, "test");
	CHECK(port_get(2) == NULL);
	CHECK(port_get(3) == p[3]);
	CHECK(port_get(99) == NULL);
	/* Closing twice is harmless. */
	port_close(p[2], "again");
	CHECK_EQ(closing, 1);
	/* The freed id comes back, with a fresh port. */
	p[2] = port_open(PORT_FD_STREAM, &shared_ops, -1, 64);
	CHECK(p[2] && p[2]->id == 2 && p[2]->rxcap == 64 && p[2]->uid == -1);
	port_close_all("end");
	CHECK_EQ(port_count(), 0);
	CHECK_EQ(closing, 5);
	port_table_fini();
}

/**
 * test_dense_list() - the open ports stay a dense list as ports close
 */
static void test_dense_list(void)
{
	struct port *p[6];
	bool seen[6];

	setup(6);
	for (int i = 0; i < 6; i++)
		p[i] = port_open(PORT_STREAM, &shared_ops, -1, 0);
	port_close(p[0], "x");
	port_close(p[3], "x");
	port_close(p[5], "x");
	CHECK_EQ(port_count(), 3);
	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *q = port_active(i);

		CHECK(q->open);
		CHECK_EQ(q->active_idx, i);
		seen[q->id] = true;
	}
	CHECK(seen[1] && seen[2] && seen[4]);
	CHECK(!seen[0] && !seen[3] && !seen[5]);
	/* close_all closes from the end of the list, every one once */
	port_close_all("end");
	CHECK_EQ(closing, 6);
	port_table_fini();
}

/**
 * test_fds() - a port's own descriptor closes with it, a shared one not;
 * the kind's closed() runs after the owner's hook
 */
static void test_fds(void)
{
	int sv[2], sh[2];
	struct port *own, *shared;

	setup(4);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sh), 0);
	own = port_open(PORT_STREAM, &own_ops, sv[0], 0);
	shared = port_open(PORT_DGRAM_PEER, &shared_ops, sh[0], 0);
	CHECK(own && shared);
	port_close(own, "x");
	CHECK_EQ(closed, 1);
	CHECK(!fd_open(sv[0]));
	port_close(shared, "x");
	CHECK(fd_open(sh[0]));
	/* port_drop_fds() closes owned descriptors only, keeps the ports */
	own = port_open(PORT_STREAM, &own_ops, sv[1], 0);
	shared = port_open(PORT_DGRAM_PEER, &shared_ops, sh[0], 0);
	port_drop_fds();
	CHECK(!fd_open(sv[1]));
	CHECK(fd_open(sh[0]));
	CHECK_EQ(own->src.fd, -1);
	CHECK_EQ(port_count(), 2);
	port_close_all("end");
	close(sh[0]);
	close(sh[1]);
	port_table_fini();
}

/**
 * test_no_hooks() - a table without hooks works (the fuzzers use one)
 */
static void test_no_hooks(void)
{
	static const struct port_hooks none;
	struct port *p;

	CHECK_EQ(port_table_init(2, 1024), 0);
	port_set_hooks(&none);
	p = port_open(PORT_STREAM, &shared_ops, -1, 0);
	CHECK(p && queue_push(&p->txq, "0123456789abcd", 14));
	port_close(p, "x");
	CHECK_EQ(port_count(), 0);
	port_table_fini();
}

static const struct unit_test tests[] = {
    {"ids_and_reuse", test_ids_and_reuse},
    {"dense_list", test_dense_list},
    {"fds", test_fds},
    {"no_hooks", test_no_hooks},
};

UNIT_MAIN("port", tests)
