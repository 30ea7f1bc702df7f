// SPDX-License-Identifier: MIT
/* nftgen.c: the nf_tables ruleset's generation id, one NFT_MSG_GETGEN over netlink */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/net/nftgen.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* The NFTA_GEN_ID attribute of a NEWGEN message h of n bytes: 0 and *gen, or -1. */
static int gen_attr(const struct nlmsghdr *h, size_t n, uint32_t *gen)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	while (off + NLA_HDRLEN <= n) {
		const struct nlattr *a = (const struct nlattr *)((const char *)h + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > n)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a->nla_len >= NLA_HDRLEN + 4) {
			uint32_t be;
			memcpy(&be, (const char *)a + NLA_HDRLEN, sizeof(be));
			*gen = ntohl(be);
			return 0;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return vmm_fail("nf_tables: no generation id in the kernel's answer");
}

/* The answer to the request: the generation, or the kernel's error. */
static int gen_reply(int fd, uint32_t *gen)
{
	union {
		struct nlmsghdr h;
		char buf[1024];
	} r;
	ssize_t n;
	while ((n = recv(fd, r.buf, sizeof(r.buf), 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return vmm_fail("nf_tables: netlink: %s", util_strerror(errno));
	if ((size_t)n < NLMSG_HDRLEN || r.h.nlmsg_len > (size_t)n)
		return vmm_fail("nf_tables: netlink: a short answer");
	if (r.h.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&r.h);
		int err = r.h.nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? -e->error : EPROTO;
		return vmm_fail("nf_tables: %s", util_strerror(err ? err : EPROTO));
	}
	if (r.h.nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
		return vmm_fail("nf_tables: netlink: an unexpected answer (type %u)",
				r.h.nlmsg_type);
	return gen_attr(&r.h, r.h.nlmsg_len, gen);
}

int nftgen_get(uint32_t *gen)
{
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return vmm_fail("nf_tables: netlink: %s", util_strerror(errno));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.g.nfgen_family = AF_UNSPEC;
	req.g.version = NFNETLINK_V0;
	int rc = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0
			 ? vmm_fail("nf_tables: netlink: %s", util_strerror(errno))
			 : gen_reply(fd, gen);
	close(fd);
	return rc;
}
