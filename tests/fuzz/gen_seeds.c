// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpora under tests/fuzz/seeds/: small valid frames
 * for fuzz_parse (IPv4/IPv6 TCP/UDP/SCTP/ICMP, options and extension
 * headers, VLAN tags, fragments, and a few short or non-IP ones), built
 * with tests/lib/pktbuild against the world fuzz_parse.c sets up, and
 * prefix texts for fuzz_prefix.  `make fuzz-seeds` runs it; its output
 * is committed, so the corpus only changes when this file does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/pktbuild.h"
#include "xdp/proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define C4 "10.0.0.5"
#define B4 "10.0.1.7"
#define L4 "10.0.1.9" /* the locked-down backend */
#define C6 "2001:db8::5"
#define B6 "2001:db8:1::7"

struct seed {
	const char *name;
	struct pkt_spec s;
};

#define TCP4(sp, dp, fl) .family = 4, .src = C4, .dst = B4, .proto = 6,        \
			 .sport = sp, .dport = dp, .tcp_flags = fl
#define TCP6(sp, dp, fl) .family = 6, .src = C6, .dst = B6, .proto = 6,        \
			 .sport = sp, .dport = dp, .tcp_flags = fl

static const struct seed seeds[] = {
	{ "ip4_tcp_syn_80", { TCP4(40000, 80, XG_TCP_SYN), .payload = 0 } },
	{ "ip4_tcp_ack_80", { TCP4(40000, 80, XG_TCP_ACK), .payload = 32 } },
	{ "ip4_tcp_l7_8080", { TCP4(40001, 8080, XG_TCP_SYN) } },
	/* odd length: rx queue 1, where no AF_XDP socket is */
	{ "ip4_tcp_l7_9000", { TCP4(40002, 9000, XG_TCP_SYN), .payload = 1 } },
	{ "ip4_tcp_deny_22", { TCP4(40003, 22, XG_TCP_SYN) } },
	{ "ip4_tcp_default_deny", { TCP4(40004, 443, XG_TCP_SYN) } },
	{ "ip4_tcp_reply", { .family = 4, .src = B4, .dst = C4, .proto = 6,
			     .sport = 80, .dport = 40000,
			     .tcp_flags = XG_TCP_SYN | XG_TCP_ACK } },
	{ "ip4_tcp_rst", { TCP4(40000, 80, XG_TCP_RST) } },
	{ "ip4_tcp_locked", { .family = 4, .src = C4, .dst = L4, .proto = 6,
			      .sport = 40005, .dport = 80,
			      .tcp_flags = XG_TCP_SYN } },
	{ "ip4_tcp_options", { TCP4(40006, 80, XG_TCP_SYN), .ip4_optlen = 8 } },
	{ "ip4_tcp_ttl1", { TCP4(40007, 80, XG_TCP_SYN), .ttl = 1 } },
	{ "ip4_udp_dns_world", { .family = 4, .src = "192.0.2.1", .dst = B4,
				 .proto = 17, .sport = 5353, .dport = 53,
				 .payload = 12 } },
	{ "ip4_udp_high", { .family = 4, .src = C4, .dst = B4, .proto = 17,
			    .sport = 5000, .dport = 40000, .payload = 4 } },
	{ "ip4_udp_no_neigh", { .family = 4, .src = C4, .dst = "10.0.2.3",
				.proto = 17, .sport = 5000, .dport = 53 } },
	{ "ip4_sctp", { .family = 4, .src = C4, .dst = B4, .proto = 132,
			.sport = 7, .dport = 1500 } },
	{ "ip4_icmp_echo", { .family = 4, .src = C4, .dst = B4, .proto = 1,
			     .icmp_type = 8, .icmp_id = 77, .payload = 8 } },
	{ "ip4_icmp_unreach", { .family = 4, .src = B4, .dst = C4, .proto = 1,
				.icmp_type = 3, .icmp_code = 3 } },
	{ "ip4_gre", { .family = 4, .src = C4, .dst = B4, .proto = 47,
		       .payload = 4 } },
	{ "ip4_vlan_tcp", { TCP4(40008, 80, XG_TCP_SYN), .vlans = 1 } },
	{ "ip4_qinq_udp", { .family = 4, .src = C4, .dst = B4, .proto = 17,
			    .sport = 5000, .dport = 2000, .vlans = 2 } },
	{ "ip4_frag_first", { .family = 4, .src = C4, .dst = B4, .proto = 17,
			      .sport = 5000, .dport = 53, .payload = 24,
			      .frag = PKT_FRAG_FIRST, .frag_id = 0x1234 } },
	{ "ip4_frag_last", { .family = 4, .src = C4, .dst = B4, .proto = 17,
			     .payload = 16, .frag = PKT_FRAG_LAST,
			     .frag_off8 = 4, .frag_id = 0x1234 } },
	{ "ip6_tcp_syn_80", { TCP6(40000, 80, XG_TCP_SYN) } },
	{ "ip6_tcp_l7_8080", { TCP6(40001, 8080, XG_TCP_SYN) } },
	{ "ip6_tcp_deny_22", { TCP6(40003, 22, XG_TCP_SYN) } },
	{ "ip6_udp_dns", { .family = 6, .src = C6, .dst = B6, .proto = 17,
			   .sport = 5353, .dport = 53, .payload = 12 } },
	{ "ip6_icmp6_echo", { .family = 6, .src = C6, .dst = B6, .proto = 58,
			      .icmp_type = 128, .icmp_id = 9, .payload = 8 } },
	{ "ip6_icmp6_ns", { .family = 6, .src = C6, .dst = B6, .proto = 58,
			    .icmp_type = 135, .payload = 16 } },
	{ "ip6_exthdrs_tcp", { TCP6(40009, 80, XG_TCP_SYN), .nexts = 2,
			       .exts = { XG_IPPROTO_HOPOPTS,
					 XG_IPPROTO_DSTOPTS } } },
	{ "ip6_routing_udp", { .family = 6, .src = C6, .dst = B6, .proto = 17,
			       .sport = 1, .dport = 53, .nexts = 1,
			       .exts = { XG_IPPROTO_ROUTING } } },
	{ "ip6_atomic_frag", { TCP6(40010, 80, XG_TCP_SYN), .nexts = 1,
			       .exts = { XG_IPPROTO_FRAGMENT } } },
	{ "ip6_frag_first", { .family = 6, .src = C6, .dst = B6, .proto = 17,
			      .sport = 5000, .dport = 53, .payload = 24,
			      .frag = PKT_FRAG_FIRST, .frag_id = 0xabcdef } },
	{ "ip6_frag_middle", { .family = 6, .src = C6, .dst = B6, .proto = 17,
			       .payload = 16, .frag = PKT_FRAG_MIDDLE,
			       .frag_off8 = 4, .frag_id = 0xabcdef } },
	{ "ip6_vlan_sctp", { .family = 6, .src = C6, .dst = B6, .proto = 132,
			     .sport = 7, .dport = 1000, .vlans = 1 } },
	{ "ip6_no_next", { .family = 6, .src = C6, .dst = B6, .proto = 59 } },
};

/* Frames pktbuild does not make: not IP, or cut short. */
static const struct {
	const char *name;
	size_t len;
	__u8 b[64];
} raw[] = {
	{ "arp", 42, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 5,
		       0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 5,
		       10, 0, 0, 5, 0, 0, 0, 0, 0, 0, 10, 0, 1, 7 } },
	{ "eth_short", 10, { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0 } },
	{ "ip4_header_only", 34,
	  { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 5, 0x08, 0x00, 0x45, 0, 0, 20, 0,
	    0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 5, 10, 0, 1, 7 } },
	{ "vlan_x3", 26, { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 5, 0x81, 0, 0, 1,
			   0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0 } },
};

static int write_file(const char *dir, const char *name, const void *p,
		      size_t len)
{
	char path[512];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		err = -errno;
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (fwrite(p, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "gen_seeds: %s: write failed\n", path);
	return err;
}

static const char *const prefixes[] = {
	"10.0.0.0/8",	    "198.18.0.0/15",	  "1.2.3.4",
	"0.0.0.0/0",	    "255.255.255.255/32", "2001:db8::/32",
	"::/0",		    "::1",		  "fe80::/10",
	"::ffff:1.2.3.4",   "2001:db8::8000/113", "10.1.2.3/8",
	"1.2.3.4/33",	    "::/129",		  "1.2.3.4/",
	"/24",		    "300.1.1.1",	  "1:2:3:4:5:6:7:8/64",
};

int main(int argc, char **argv)
{
	char dir[256];
	__u8 buf[2048];
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <seeds-dir>\n", argv[0]);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/fuzz_parse", argv[1]);
	for (size_t i = 0; i < ARRAY_SIZE(seeds) && !err; i++) {
		struct pkt_spec s = seeds[i].s;
		size_t len;

		pkt_parse_mac("02:00:00:00:00:05", s.smac);
		pkt_parse_mac("02:00:00:00:00:0b", s.dmac);
		len = pkt_build(buf, sizeof(buf), &s);
		if (!len) {
			fprintf(stderr, "gen_seeds: %s: no frame\n",
				seeds[i].name);
			return 1;
		}
		err = write_file(dir, seeds[i].name, buf, len);
	}
	for (size_t i = 0; i < ARRAY_SIZE(raw) && !err; i++)
		err = write_file(dir, raw[i].name, raw[i].b, raw[i].len);

	snprintf(dir, sizeof(dir), "%s/fuzz_prefix", argv[1]);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes) && !err; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%02zu", i);
		err = write_file(dir, name, prefixes[i], strlen(prefixes[i]));
	}
	return err ? 1 : 0;
}
