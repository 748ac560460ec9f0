// SPDX-License-Identifier: GPL-2.0-only
/*
 * The L7 flow engine; see engine.h.  Locking: the flow table is
 * lock-free (readers under rcu_read_lock); a flow's state is guarded by
 * its own mutex, since two workers may hold frames of one flow.  A
 * removed flow is marked dead under its lock, taken out of the table,
 * and freed with call_rcu once no reader can still see it.
 */
#include <errno.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#include "fastpath/engine/engine.h"
#include "fastpath/flow/reasm.h"
#include "fastpath/http/http_body.h"
#include "fastpath/http/http_norm.h"
#include "fastpath/http/http_parse.h"
#include "fastpath/l7/match.h"
#include "fastpath/pkt/frame.h"

const char *const xg_fp_counter_key[XG_FP_C__MAX] = {
#define XG__FP_KEY(name, key, text) [XG_FP_C_##name] = key,
	XG_FP_COUNTERS(XG__FP_KEY)
#undef XG__FP_KEY
};

const char *const xg_fp_counter_text[XG_FP_C__MAX] = {
#define XG__FP_TEXT(name, key, text) [XG_FP_C_##name] = text,
	XG_FP_COUNTERS(XG__FP_TEXT)
#undef XG__FP_TEXT
};

/* The two ends in a fixed order, whichever direction a frame took. */
struct fp_key {
	uint8_t lo[16], hi[16];
	uint16_t lo_port, hi_port;
	uint8_t family;
	uint8_t pad[3];
};

struct held {
	uint32_t seq, end; /* stream bytes [seq, end); a FIN ends at end */
	uint32_t ifindex;
	uint32_t len;
	struct xg_tcp_frame t; /* offsets into frame */
	uint8_t *frame;
};

enum fp_state { ST_HEAD, ST_BODY, ST_DENYING, ST_DENIED };

/* A refusal, kept until it is sent. */
struct fp_deny {
	struct xg_xsk_meta m;
	int family;
	int status;
	uint8_t srv_smac[6], srv_dmac[6]; /* toward the server */
	uint8_t client[16], server[16];
	uint16_t cport, sport;
	uint32_t decided; /* the server's next expected byte */
	uint32_t client_end; /* what our answer acknowledges */
	uint32_t client_ack; /* the client's ack in the refused frame */
	uint32_t srv_nxt; /* last seen in conntrack */
	uint64_t since_ns, quiet_since_ns;
};

/* How long a closed or refused flow is remembered. */
#define XG_FP_CLOSED_IDLE_NS (10ull * 1000000000ull)

struct fp_flow {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	struct fp_key key;
	pthread_mutex_t lock;
	bool dead;
	enum fp_state st;
	struct xg_reasm rs;
	struct xg_http_body body;
	size_t scan;
	struct held *held;
	size_t n_held, cap_held;
	bool fin_seen;
	uint32_t fin_seq;
	uint32_t reply_next; /* after a deny: our next sequence number */
	uint64_t allowed; /* requests allowed on this flow */
	bool pending; /* on its worker's pending-deny list */
	struct fp_deny deny;
	uint64_t last_ns;
	uint64_t born_ns; /* conntrack's admission of this connection */
	/* One past the last stream byte sent to the server (bytes go in
	 * order): where a reset to it must sit. */
	uint32_t fwd_end;
	bool fwd_any;
	/* Bytes up to acked_to were acknowledged to the client by us: the
	 * client will not resend them, so until the server acknowledges
	 * the frames that carried them, copies stay here. */
	bool acked_any;
	uint32_t acked_to;
	struct held *duty;
	size_t n_duty, cap_duty;
	uint64_t duty_sent_ns;
	unsigned duty_tries;
	bool on_duty; /* on its worker's duty list */
	/* The last bodies of known length, as stream ranges: a resend of
	 * bytes already forgotten may pass only inside one of them (body
	 * bytes decide nothing; a head or a chunk size could). */
	struct {
		uint32_t start, end;
	} bodies[4];
	unsigned n_bodies;
	struct xg_flow_key duty_key; /* conntrack's key, to ask srv_ack */
};

/* ----------------------------------------------------------- table -- */

static void key_of(const struct xg_tcp_frame *t, struct fp_key *k)
{
	size_t alen = t->family == 4 ? 4 : 16;
	int c = memcmp(t->saddr, t->daddr, alen);
	int s_first = c < 0 || (c == 0 && t->sport <= t->dport);

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)t->family;
	memcpy(k->lo, s_first ? t->saddr : t->daddr, alen);
	memcpy(k->hi, s_first ? t->daddr : t->saddr, alen);
	k->lo_port = s_first ? t->sport : t->dport;
	k->hi_port = s_first ? t->dport : t->sport;
}

/* FNV-1a over the key: the table only needs a spread, and keys are
 * addresses a client chooses only in part. */
static unsigned long key_hash(const struct fp_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (unsigned long)(h ^ (h >> 29));
}

static int key_match(struct cds_lfht_node *node, const void *key)
{
	const struct fp_flow *f = caa_container_of(node, struct fp_flow, node);

	return !memcmp(&f->key, key, sizeof(f->key));
}

static void held_free_all(struct fp_flow *f)
{
	for (size_t i = 0; i < f->n_held; i++)
		free(f->held[i].frame);
	f->n_held = 0;
}

static void duty_free_all(struct fp_flow *f)
{
	for (size_t i = 0; i < f->n_duty; i++)
		free(f->duty[i].frame);
	f->n_duty = 0;
}

static void flow_free_rcu(struct rcu_head *h)
{
	struct fp_flow *f = caa_container_of(h, struct fp_flow, rcu);

	held_free_all(f);
	free(f->held);
	duty_free_all(f);
	free(f->duty);
	xg_reasm_free(&f->rs);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* With f->lock held and inside rcu_read_lock. */
static void flow_remove(struct xg_fp_engine *e, struct fp_flow *f)
{
	if (f->dead)
		return;
	f->dead = true;
	/* a flow on a duty list is freed by the tick that drops it */
	if (!cds_lfht_del(e->flows, &f->node) && !f->on_duty)
		call_rcu(&f->rcu, flow_free_rcu);
}

static struct fp_flow *flow_new(const struct xg_fp_engine *e,
				const struct fp_key *k, uint32_t start,
				uint64_t born_ns)
{
	struct fp_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (xg_reasm_init(&f->rs, start, e->lim.stream_buffer)) {
		free(f);
		return NULL;
	}
	f->key = *k;
	f->born_ns = born_ns;
	pthread_mutex_init(&f->lock, NULL);
	cds_lfht_node_init(&f->node);
	return f;
}

/* Inside rcu_read_lock: the flow of k, created when absent. */
static struct fp_flow *flow_get(struct xg_fp_engine *e, unsigned worker,
				const struct fp_key *k, uint32_t start,
				uint64_t born_ns)
{
	unsigned long h = key_hash(k);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct fp_flow *f;

	cds_lfht_lookup(e->flows, h, key_match, k, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n)
		return caa_container_of(n, struct fp_flow, node);
	f = flow_new(e, k, start, born_ns);
	if (!f)
		return NULL;
	n = cds_lfht_add_unique(e->flows, h, key_match, k, &f->node);
	if (n != &f->node) {
		/* another worker made it first */
		flow_free_rcu(&f->rcu);
		return caa_container_of(n, struct fp_flow, node);
	}
	e->count[worker][XG_FP_C_FLOWS]++;
	return f;
}

/* ---------------------------------------------------------- output -- */

static void send_frame(struct xg_fp_engine *e, unsigned worker,
		       const struct xg_fp_out *out, uint32_t ifindex,
		       const uint8_t *frame, uint32_t len)
{
	if (out->send(out->arg, ifindex, frame, len))
		e->count[worker][XG_FP_C_TX_FAIL]++;
}

/* A frame went to the server; if it carries bytes we acknowledged to
 * the client, a copy stays until the server has them.  Takes h's frame
 * (NULL: copy from frame). */
static void keep_duty(struct xg_fp_engine *e, unsigned worker,
		      struct fp_flow *f, const struct held *h,
		      const uint8_t *frame, uint64_t now)
{
	struct held *d;

	if (!f->acked_any || !xg_seq_lt(h->seq, f->acked_to) || !e->ct_lookup)
		return;
	if (f->n_duty == f->cap_duty) {
		size_t cap = f->cap_duty ? f->cap_duty * 2 : 8;
		void *v = realloc(f->duty, cap * sizeof(*f->duty));

		if (!v)
			return;
		f->duty = v;
		f->cap_duty = cap;
	}
	d = &f->duty[f->n_duty];
	*d = *h;
	d->frame = malloc(h->len);
	if (!d->frame)
		return;
	memcpy(d->frame, frame ? frame : h->frame, h->len);
	f->n_duty++;
	f->duty_sent_ns = now;
	f->duty_tries = 0;
	if (!f->on_duty && e->n_duty[worker] < XG_FP_PENDING_MAX) {
		e->duty[worker][e->n_duty[worker]++] = f;
		f->on_duty = true;
	}
}

static void note_sent(struct fp_flow *f, uint32_t end)
{
	if (!f->fwd_any || xg_seq_lt(f->fwd_end, end))
		f->fwd_end = end;
	f->fwd_any = true;
}

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return xg_seq_lt(x->seq, y->seq) ? -1 : x->seq != y->seq;
}

/* Sends, in stream order, every held frame whose bytes may pass (a FIN
 * only once everything before it may). */
static void release_held(struct xg_fp_engine *e, unsigned worker,
			 const struct xg_fp_out *out, struct fp_flow *f,
			 uint32_t passable, uint64_t now)
{
	size_t w = 0;

	if (f->n_held > 1)
		qsort(f->held, f->n_held, sizeof(*f->held), held_cmp);
	for (size_t i = 0; i < f->n_held; i++) {
		struct held *h = &f->held[i];

		if (xg_seq_le(h->end, passable)) {
			send_frame(e, worker, out, h->ifindex, h->frame, h->len);
			note_sent(f, h->end);
			keep_duty(e, worker, f, h, NULL, now);
			free(h->frame);
			continue;
		}
		f->held[w++] = *h;
	}
	f->n_held = w;
}

static int hold(struct xg_fp_engine *e, struct fp_flow *f,
		const struct xg_tcp_frame *t, const uint8_t *frame,
		uint32_t ifindex, uint32_t seq, uint32_t end)
{
	struct held *h;

	if (f->n_held == e->lim.max_held)
		return -ENOBUFS;
	if (f->n_held == f->cap_held) {
		size_t cap = f->cap_held ? f->cap_held * 2 : 8;
		void *v = realloc(f->held, cap * sizeof(*f->held));

		if (!v)
			return -ENOMEM;
		f->held = v;
		f->cap_held = cap;
	}
	h = &f->held[f->n_held];
	h->frame = malloc(t->len);
	if (!h->frame)
		return -ENOMEM;
	memcpy(h->frame, frame, t->len);
	h->len = t->len;
	h->t = *t;
	h->seq = seq;
	h->end = end;
	h->ifindex = ifindex;
	f->n_held++;
	return 0;
}

/* Addresses a segment from the server to the client: MACs of the leg
 * the client came in by, and the address it used (the VIP of a balanced
 * flow, which is where its answers must come from). */
static void toward_client(const struct xg_fp_engine *e, struct xg_tcp_seg *s,
			  const struct xg_xsk_meta *m, int family,
			  const uint8_t *client, uint16_t cport,
			  const uint8_t *server, uint16_t sport)
{
	size_t alen = family == 4 ? 4 : 16;

	s->family = family;
	memcpy(s->src.mac, m->in_dst, 6);
	memcpy(s->dst.mac, m->in_src, 6);
	memcpy(s->src.addr, server, alen);
	s->src.port = sport;
	memcpy(s->dst.addr, client, alen);
	s->dst.port = cport;
	if (m->revnat_id && e->revnat) {
		uint8_t vip[16];
		uint16_t vport;

		if (!e->revnat(e->revnat_arg, m->revnat_id, vip, &vport)) {
			memcpy(s->src.addr, vip, alen);
			s->src.port = ntohs(vport);
		}
	}
}

/* Frames held for one head before the fast path acknowledges them to
 * the client itself: a client sends about ten segments (its initial
 * congestion window) and then waits for acknowledgments, which the
 * server cannot give for bytes it has not got.  A head in one or two
 * segments never needs this. */
#define XG_FP_ACK_AFTER 4

/* Acknowledges, in the server's name, the client's bytes that are in
 * order; the acknowledged ones become ours to deliver (keep_duty). */
static void ack_client(struct xg_fp_engine *e, unsigned worker,
		       const struct xg_fp_out *out, struct fp_flow *f,
		       const struct xg_xsk_meta *m,
		       const struct xg_tcp_frame *t)
{
	struct xg_tcp_seg s = {};
	const uint8_t *p;
	uint32_t to = xg_reasm_read_seq(&f->rs) +
		      (uint32_t)xg_reasm_peek(&f->rs, &p);
	uint8_t buf[128];
	uint32_t n;

	if (!e->ct_lookup || (f->acked_any && !xg_seq_lt(f->acked_to, to)))
		return;
	toward_client(e, &s, m, t->family, t->saddr, t->sport, t->daddr,
		      t->dport);
	s.seq = t->ack; /* where the client has the server */
	s.ack = to;
	s.flags = 0x10; /* ACK */
	/* A modest window: unscaled it lets the client go on; scaled it
	 * is still bounded by the stream buffer (bytes past it are dropped
	 * and sent again). */
	s.window = 1024;
	n = xg_tcp_seg_build(buf, sizeof(buf), &s);
	if (!n)
		return;
	send_frame(e, worker, out, m->in_ifindex, buf, n);
	f->acked_any = true;
	f->acked_to = to;
	f->duty_key = m->ct_key;
	e->count[worker][XG_FP_C_ACKED]++;
}

/* ------------------------------------------------------------ deny -- */

static const char *status_text(int status)
{
	switch (status) {
	case 400:
		return "400 Bad Request";
	case 431:
		return "431 Request Header Fields Too Large";
	default:
		return "403 Forbidden";
	}
}

static const char *status_body(int status)
{
	switch (status) {
	case 400:
		return "Bad Request\r\n";
	case 431:
		return "Request Header Fields Too Large\r\n";
	default:
		return "Access denied\r\n"; /* as Cilium's proxy answers */
	}
}

/* Sends the refusal a flow's pending deny describes: the server gets a
 * reset at exactly the next byte it expects, the client the answer
 * (status 0: a reset too) from the address it used (the VIP of a
 * balanced flow), on the leg it came in by, at sequence number seq. */
static void answer(struct xg_fp_engine *e, unsigned worker,
		   const struct xg_fp_out *out, struct fp_flow *f, uint32_t seq)
{
	const struct fp_deny *d = &f->deny;
	size_t alen = d->family == 4 ? 4 : 16;
	struct xg_tcp_seg s = { .family = d->family };
	char resp[256];
	uint8_t buf[512];
	int rlen = 0;
	uint32_t n;

	memcpy(s.src.mac, d->srv_smac, 6);
	memcpy(s.dst.mac, d->srv_dmac, 6);
	memcpy(s.src.addr, d->client, alen);
	memcpy(s.dst.addr, d->server, alen);
	s.src.port = d->cport;
	s.dst.port = d->sport;
	s.seq = d->decided;
	s.flags = 0x04; /* RST */
	n = xg_tcp_seg_build(buf, sizeof(buf), &s);
	if (n)
		send_frame(e, worker, out, d->m.out_ifindex, buf, n);

	if (d->status)
		rlen = snprintf(resp, sizeof(resp),
				"HTTP/1.1 %s\r\ncontent-length: %zu\r\n"
				"content-type: text/plain\r\nconnection: close\r\n\r\n%s",
				status_text(d->status),
				strlen(status_body(d->status)),
				status_body(d->status));
	memset(&s, 0, sizeof(s));
	toward_client(e, &s, &d->m, d->family, d->client, d->cport, d->server,
		      d->sport);
	s.seq = seq;
	s.ack = d->client_end;
	s.flags = d->status ? 0x19 /* FIN PSH ACK */ : 0x14 /* RST ACK */;
	s.window = d->status ? 65535 : 0;
	s.payload = resp;
	s.payload_len = (uint32_t)rlen;
	n = xg_tcp_seg_build(buf, sizeof(buf), &s);
	if (n)
		send_frame(e, worker, out, d->m.in_ifindex, buf, n);
	f->reply_next = seq + (uint32_t)rlen + 1;
	f->st = ST_DENIED;
	/* A refused flow only answers stray frames from here on: its
	 * buffers go now, not when it is forgotten (at thousands of
	 * refusals a second, 64 KiB each would add up). */
	xg_reasm_free(&f->rs);
	duty_free_all(f);
}

/*
 * Refuses the request at the head of the stream (status 0: cuts the
 * flow, resetting the client too).  The frames carrying it are dropped;
 * one that also carries the end of an allowed request before it is cut
 * and sent.  When no allowed request went before on this flow, the
 * answer goes at once, in sequence after what the server has sent (the
 * client's acknowledgment says where).  Otherwise the server may still
 * be answering those (pipelining, or a slow response): the refusal
 * waits until conntrack shows the server quiet and the client having
 * acknowledged all of it, so the answers arrive in order (see
 * xg_fp_tick).
 */
static void deny(struct xg_fp_engine *e, unsigned worker,
		 const struct xg_fp_out *out, struct fp_flow *f,
		 const struct xg_xsk_meta *m, const struct xg_tcp_frame *t,
		 const uint8_t *frame, int status, uint64_t now)
{
	uint32_t decided = xg_reasm_read_seq(&f->rs);
	uint32_t cseq = t->seq + !!(t->flags & 0x02);
	struct fp_deny *d = &f->deny;
	size_t alen = t->family == 4 ? 4 : 16;

	if (f->n_held > 1)
		qsort(f->held, f->n_held, sizeof(*f->held), held_cmp);
	for (size_t i = 0; i < f->n_held; i++) {
		struct held *h = &f->held[i];

		if (xg_seq_le(h->end, decided)) {
			/* all of it judged in this same call: it goes whole */
			send_frame(e, worker, out, h->ifindex, h->frame, h->len);
			note_sent(f, h->end);
			continue;
		}
		if (xg_seq_lt(h->seq, decided) && xg_seq_lt(decided, h->end) &&
		    h->t.payload_len) {
			uint32_t len = xg_tcp_frame_trim(h->frame, &h->t,
							 decided - h->seq);

			send_frame(e, worker, out, h->ifindex, h->frame, len);
			note_sent(f, decided);
		}
	}
	held_free_all(f);
	/* The start of the refused head may have gone on already. */
	if (f->fwd_any && xg_seq_lt(decided, f->fwd_end))
		decided = f->fwd_end;

	memset(d, 0, sizeof(*d));
	d->m = *m;
	d->family = t->family;
	memcpy(d->srv_smac, frame + 6, 6);
	memcpy(d->srv_dmac, frame, 6);
	memcpy(d->client, t->saddr, alen);
	memcpy(d->server, t->daddr, alen);
	d->cport = t->sport;
	d->sport = t->dport;
	d->decided = decided;
	d->status = status;
	d->client_end = xg_reasm_end_seq(&f->rs);
	if (xg_seq_lt(d->client_end, cseq + t->payload_len))
		d->client_end = cseq + t->payload_len;
	if (f->fin_seen)
		d->client_end = f->fin_seq + 1;
	d->client_ack = t->ack;
	d->since_ns = now;
	d->quiet_since_ns = now;

	if (!f->allowed || !status || !e->ct_lookup ||
	    e->n_pending[worker] == XG_FP_PENDING_MAX) {
		answer(e, worker, out, f, t->ack);
		return;
	}
	f->st = ST_DENYING;
	e->pending[worker][e->n_pending[worker]++] = f;
	f->pending = true;
}

/* A denied flow's later frames: the client is told the connection is
 * gone (it may not have read our FIN yet; a reset is final). */
static void reset_client(struct xg_fp_engine *e, unsigned worker,
			 const struct xg_fp_out *out, const struct fp_flow *f,
			 const struct xg_xsk_meta *m,
			 const struct xg_tcp_frame *t)
{
	struct xg_tcp_seg s = {};
	uint8_t buf[128];
	uint32_t n;

	toward_client(e, &s, m, t->family, t->saddr, t->sport, t->daddr,
		      t->dport);
	s.seq = f->reply_next;
	s.flags = 0x04;
	n = xg_tcp_seg_build(buf, sizeof(buf), &s);
	if (n)
		send_frame(e, worker, out, m->in_ifindex, buf, n);
}

/* ---------------------------------------------------------- verdict -- */

static void copy_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void record(struct xg_fp_engine *e, const struct xg_tcp_frame *t,
		   uint64_t now, uint32_t ruleset, int rule, int status,
		   const struct xg_http_req *r, const struct xg_http_norm *nm)
{
	struct xg_fp_event *ev;
	size_t alen = t->family == 4 ? 4 : 16;

	pthread_mutex_lock(&e->ev_lock);
	ev = &e->ev[e->ev_next++ % XG_FP_EVENTS];
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->family = (uint8_t)t->family;
	memcpy(ev->client, t->saddr, alen);
	memcpy(ev->server, t->daddr, alen);
	ev->cport = t->sport;
	ev->sport = t->dport;
	ev->ruleset = ruleset;
	ev->rule = rule;
	ev->status = (uint16_t)status;
	if (r && r->method.p)
		copy_field(ev->method, sizeof(ev->method), r->method.p,
			   r->method.n);
	if (nm)
		copy_field(ev->path, sizeof(ev->path), nm->path, nm->path_n);
	if (nm)
		copy_field(ev->host, sizeof(ev->host), nm->host, nm->host_n);
	pthread_mutex_unlock(&e->ev_lock);
}

/* Judges one request head: 1 allowed, 0 denied (*status set). */
static int judge(struct xg_fp_engine *e, unsigned worker,
		 const struct xg_xsk_meta *m, const struct xg_tcp_frame *t,
		 const struct xg_http_req *r, uint64_t now, int *status)
{
	struct xg_l7_hdr hdrs[XG_HTTP_MAX_HEADERS];
	struct xg_http_norm nm;
	struct xg_l7_request rq = {};
	const struct xg_l7_table *tab;
	const struct xg_l7_set *set;
	const char *why;
	int rule = -1, ok;
	__u32 shown = m->l7_ruleset ? m->l7_ruleset : m->l7_egress;

	if (xg_http_normalise(r, &nm, &why)) {
		*status = 400;
		e->count[worker][XG_FP_C_BAD_REQUEST]++;
		record(e, t, now, shown, -1, 400, r, NULL);
		return 0;
	}
	for (size_t i = 0; i < r->n_hdrs; i++) {
		hdrs[i].name = r->hdrs[i].name.p;
		hdrs[i].name_n = r->hdrs[i].name.n;
		hdrs[i].value = r->hdrs[i].value.p;
		hdrs[i].value_n = r->hdrs[i].value.n;
	}
	rq.method = r->method.p;
	rq.method_n = r->method.n;
	rq.path = nm.path;
	rq.path_n = nm.path_n;
	rq.host = nm.host_n ? nm.host : NULL;
	rq.host_n = nm.host_n;
	rq.hdrs = hdrs;
	rq.n_hdrs = r->n_hdrs;

	/* The server's ingress rules, then the client's egress rules: a
	 * request must pass each side that has any (as in Cilium).  The
	 * verdict names the last ruleset looked at. */
	tab = rcu_dereference(e->table);
	ok = 1;
	for (int side = 0; side < 2 && ok; side++) {
		__u32 id = side ? m->l7_egress : m->l7_ruleset;

		if (!id)
			continue;
		shown = id;
		set = tab ? xg_l7_table_find(tab, id) : NULL;
		if (!set) {
			*status = 403;
			e->count[worker][XG_FP_C_NO_RULESET]++;
			record(e, t, now, id, -1, 403, r, &nm);
			return 0;
		}
		ok = xg_l7_match(tab, worker, set, &rq, &rule) == 1;
	}
	*status = ok ? 0 : 403;
	e->count[worker][ok ? XG_FP_C_ALLOWED : XG_FP_C_DENIED]++;
	record(e, t, now, shown, ok ? rule : -1, *status, r, &nm);
	return ok;
}

/* Runs the request machine over the bytes that are in order; returns
 * 0, or the status a request was refused with. */
static int run_http(struct xg_fp_engine *e, unsigned worker,
		    const struct xg_xsk_meta *m, const struct xg_tcp_frame *t,
		    struct fp_flow *f, uint64_t now)
{
	struct xg_http_limits lim = { .max_head = e->lim.max_head,
				      .max_headers = e->lim.max_headers };
	struct xg_http_req req;
	const uint8_t *p;
	size_t n, used;
	int rc, status;

	while ((n = xg_reasm_peek(&f->rs, &p))) {
		if (f->st == ST_BODY) {
			rc = xg_http_body_feed(&f->body, p, n, &used);
			if (rc == XG_HTTP_BAD) {
				e->count[worker][XG_FP_C_BAD_REQUEST]++;
				record(e, t, now, m->l7_ruleset, -1, 400, NULL,
				       NULL);
				return 400;
			}
			xg_reasm_consume(&f->rs, used);
			if (rc == XG_HTTP_OK)
				f->st = ST_HEAD;
			continue;
		}
		rc = xg_http_parse_head(p, n, &lim, &req, &f->scan);
		if (rc == XG_HTTP_MORE)
			break;
		if (rc == XG_HTTP_BAD || rc == XG_HTTP_TOO_LARGE) {
			status = rc == XG_HTTP_BAD ? 400 : 431;
			e->count[worker][rc == XG_HTTP_BAD ?
						 XG_FP_C_BAD_REQUEST :
						 XG_FP_C_TOO_LARGE]++;
			record(e, t, now, m->l7_ruleset, -1, status, NULL, NULL);
			return status;
		}
		if (!judge(e, worker, m, t, &req, now, &status))
			return status;
		f->allowed++;
		xg_reasm_consume(&f->rs, req.head_len);
		f->scan = 0;
		xg_http_body_start(&f->body, &req);
		if (req.body != XG_HTTP_BODY_NONE)
			f->st = ST_BODY;
		if (req.body == XG_HTTP_BODY_LENGTH && req.content_length &&
		    req.content_length < (1ull << 31)) {
			uint32_t b0 = xg_reasm_read_seq(&f->rs);

			f->bodies[f->n_bodies % 4].start = b0;
			f->bodies[f->n_bodies % 4].end =
				b0 + (uint32_t)req.content_length;
			f->n_bodies++;
		}
	}
	return 0;
}

static bool in_old_body(const struct fp_flow *f, uint32_t seq, uint32_t end)
{
	unsigned n = f->n_bodies < 4 ? f->n_bodies : 4;

	for (unsigned i = 0; i < n; i++)
		if (xg_seq_le(f->bodies[i].start, seq) &&
		    xg_seq_le(end, f->bodies[i].end))
			return true;
	return false;
}

/* ------------------------------------------------------------ entry -- */

void xg_fp_handle(struct xg_fp_engine *e, unsigned worker,
		  const struct xg_fp_out *out, const struct xg_xsk_meta *m,
		  const uint8_t *frame, uint32_t len, uint64_t now_ns)
{
	struct xg_tcp_frame t;
	struct fp_key k;
	struct fp_flow *f;
	uint32_t seq, end, passable, start;
	int rc, status;

	if (!m || m->magic != XG_XSK_META_MAGIC) {
		e->count[worker][XG_FP_C_NO_META]++;
		return;
	}
	if (xg_tcp_frame_parse(frame, len, &t)) {
		e->count[worker][XG_FP_C_BAD_FRAME]++;
		return;
	}
	seq = t.seq + !!(t.flags & 0x02); /* a SYN's data starts after it */
	end = seq + t.payload_len;
	key_of(&t, &k);
	/* Met mid-stream (conntrack saw no SYN because the policy became
	 * L7 under the flow, or the flow is older than this fast path: an
	 * earlier daemon judged its start): the stream is taken up here,
	 * so these bytes must start a request. */
	start = (m->flags & XG_XSK_META_F_ISN) &&
				m->flow_created_ns >= e->started_ns ?
			m->isn :
			seq;

	rcu_read_lock();
again:
	f = flow_get(e, worker, &k, start, m->flow_created_ns);
	if (!f) {
		rcu_read_unlock();
		e->count[worker][XG_FP_C_HELD_FULL]++;
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (f->born_ns != m->flow_created_ns && !f->pending) {
		/* The tuple is reused by a new connection (conntrack admitted
		 * it again): the old one's state means nothing to it. */
		flow_remove(e, f);
		pthread_mutex_unlock(&f->lock);
		goto again;
	}
	if (f->dead)
		goto out; /* closed under us: the frame goes nowhere */
	f->last_ns = now_ns;
	if (f->st == ST_DENYING) {
		/* its answer waits for the server: nothing more goes there */
		e->count[worker][XG_FP_C_AFTER_DENY]++;
		goto out;
	}
	if (f->st == ST_DENIED) {
		e->count[worker][XG_FP_C_AFTER_DENY]++;
		if (t.payload_len || (t.flags & 0x01))
			reset_client(e, worker, out, f, m, &t);
		goto out;
	}
	if (t.flags & 0x04) { /* RST: the flow ends here */
		send_frame(e, worker, out, m->out_ifindex, frame, t.len);
		flow_remove(e, f);
		goto out;
	}
	if (t.payload_len) {
		rc = xg_reasm_insert(&f->rs, seq, frame + t.payload,
				     t.payload_len);
		if (rc == XG_REASM_CONFLICT) {
			e->count[worker][XG_FP_C_CONFLICT]++;
			deny(e, worker, out, f, m, &t, frame, 0, now_ns);
			goto out;
		}
		if (rc == XG_REASM_OLD && in_old_body(f, seq, end)) {
			/* the server may have dropped it (its window): it
			 * needs these bytes, and they are body */
			send_frame(e, worker, out, m->out_ifindex, frame, t.len);
			e->count[worker][XG_FP_C_OLD_BODY]++;
			goto out;
		}
		if (rc != XG_REASM_OK) {
			e->count[worker][rc == XG_REASM_FULL ?
						 XG_FP_C_WINDOW_FULL :
						 XG_FP_C_OLD_DATA]++;
			goto out; /* dropped: TCP sends it again */
		}
	}
	if (t.flags & 0x01) {
		f->fin_seen = true;
		f->fin_seq = end;
	}
	status = run_http(e, worker, m, &t, f, now_ns);
	if (status) {
		/* this frame may also end an allowed request: deny cuts it */
		if (t.payload_len &&
		    hold(e, f, &t, frame, m->out_ifindex, seq, end))
			e->count[worker][XG_FP_C_HELD_FULL]++;
		deny(e, worker, out, f, m, &t, frame, status, now_ns);
		goto out;
	}
	/* What may pass: the bytes judged.  The start of a head not yet
	 * whole waits with the rest of it (a server logs, and may act on,
	 * what it has of a request). */
	passable = xg_reasm_read_seq(&f->rs);
	/* A frame wholly inside a body of known length may go on out of
	 * order: nothing in it can be a request, and the server's own
	 * reordering (and its SACKs to the client) recovers the hole far
	 * faster than the client's timeouts would. */
	if (f->st == ST_BODY && t.payload_len && !(t.flags & 0x01) &&
	    xg_seq_lt(passable, end)) {
		unsigned long long left = xg_http_body_known_left(&f->body);

		if (left && left < (1ull << 31) &&
		    xg_seq_le(end, passable + (uint32_t)left)) {
			send_frame(e, worker, out, m->out_ifindex, frame, t.len);
			goto out;
		}
	}
	if (!f->n_held && xg_seq_le(end, passable)) {
		/* nothing before it waits: straight on */
		send_frame(e, worker, out, m->out_ifindex, frame, t.len);
		note_sent(f, end);
		if (f->acked_any) {
			struct held h = { .seq = seq, .end = end,
					  .ifindex = m->out_ifindex,
					  .len = t.len, .t = t };

			keep_duty(e, worker, f, &h, frame, now_ns);
		}
	} else {
		if (hold(e, f, &t, frame, m->out_ifindex, seq, end))
			e->count[worker][XG_FP_C_HELD_FULL]++;
		release_held(e, worker, out, f, passable, now_ns);
		/* only for a head that waits whole: a body flows on, and
		 * the server's own acknowledgments pace it */
		if (f->n_held >= XG_FP_ACK_AFTER && f->st == ST_HEAD)
			ack_client(e, worker, out, f, m, &t);
	}
out:
	pthread_mutex_unlock(&f->lock);
	rcu_read_unlock();
}

void xg_fp_expire(struct xg_fp_engine *e, uint64_t now_ns)
{
	struct cds_lfht_iter it;
	struct fp_flow *f;
	unsigned long n = 0;

	rcu_read_lock();
	cds_lfht_for_each_entry (e->flows, &it, f, node) {
		pthread_mutex_lock(&f->lock);
		/* A flow whose client has finished, or that was refused,
		 * only waits for stray retransmissions. */
		uint64_t idle = f->fin_seen || f->st == ST_DENIED ?
					XG_FP_CLOSED_IDLE_NS :
					e->lim.idle_ns;

		if (!f->dead && !f->pending && !f->on_duty &&
		    now_ns - f->last_ns > idle) {
			flow_remove(e, f);
			n++;
		}
		pthread_mutex_unlock(&f->lock);
	}
	rcu_read_unlock();
	e->count[0][XG_FP_C_EXPIRED] += n;
}

/* How long the server must stay quiet before a deferred refusal goes,
 * and how long a refusal waits at most. */
#define XG_FP_QUIET_NS (20ull * 1000000ull)
#define XG_FP_DEFER_MAX_NS (2000ull * 1000000ull)

/* First resend period of frames the server has not acknowledged (it
 * doubles each time), and how many times before they are given up. */
#define XG_FP_RESEND_NS (200ull * 1000000ull)
#define XG_FP_RESEND_TRIES 8

static unsigned tick_duty(struct xg_fp_engine *e, unsigned worker,
			  const struct xg_fp_out *out, uint64_t now_ns)
{
	unsigned w = 0, n = e->n_duty[worker];

	for (unsigned i = 0; i < n; i++) {
		struct fp_flow *f = e->duty[worker][i];
		struct xg_fp_ct_view v;
		size_t k = 0;

		pthread_mutex_lock(&f->lock);
		if (f->dead || e->ct_lookup(e->ct_arg, &f->duty_key, &v)) {
			duty_free_all(f);
		} else {
			for (size_t j = 0; j < f->n_duty; j++) {
				struct held *h = &f->duty[j];

				if (v.srv_ack && xg_seq_le(h->end, v.srv_ack))
					free(h->frame);
				else
					f->duty[k++] = *h;
			}
			f->n_duty = k;
		}
		/* resends back off: 200 ms, 400 ms, ... */
		if (f->n_duty &&
		    now_ns - f->duty_sent_ns >= XG_FP_RESEND_NS << f->duty_tries) {
			if (++f->duty_tries > XG_FP_RESEND_TRIES) {
				e->count[worker][XG_FP_C_RESEND_FAIL]++;
				duty_free_all(f);
			} else {
				for (size_t j = 0; j < f->n_duty; j++)
					send_frame(e, worker, out,
						   f->duty[j].ifindex,
						   f->duty[j].frame,
						   f->duty[j].len);
				e->count[worker][XG_FP_C_RESENT] += f->n_duty;
				f->duty_sent_ns = now_ns;
			}
		}
		bool gone = false;

		if (f->n_duty)
			e->duty[worker][w++] = f;
		else {
			f->on_duty = false;
			gone = f->dead;
		}
		pthread_mutex_unlock(&f->lock);
		if (gone)
			call_rcu(&f->rcu, flow_free_rcu);
	}
	e->n_duty[worker] = w;
	return w;
}

unsigned xg_fp_tick(struct xg_fp_engine *e, unsigned worker,
		    const struct xg_fp_out *out, uint64_t now_ns)
{
	unsigned w = 0, n = e->n_pending[worker];
	unsigned duty = e->ct_lookup ? tick_duty(e, worker, out, now_ns) : 0;

	for (unsigned i = 0; i < n; i++) {
		struct fp_flow *f = e->pending[worker][i];
		struct fp_deny *d = &f->deny;
		struct xg_fp_ct_view v = {};
		uint32_t srv_nxt, cli_ack;
		bool go;

		pthread_mutex_lock(&f->lock);
		if (e->ct_lookup(e->ct_arg, &d->m.ct_key, &v)) {
			go = true; /* the flow is gone from conntrack */
		} else {
			srv_nxt = v.srv_nxt;
			cli_ack = v.cli_ack;
			if (srv_nxt != d->srv_nxt) {
				d->srv_nxt = srv_nxt;
				d->quiet_since_ns = now_ns;
			}
			/* and not before the server has what we
			 * acknowledged in its name (or we gave up) */
			go = !f->n_duty &&
			     ((cli_ack == srv_nxt &&
			       now_ns - d->quiet_since_ns >= XG_FP_QUIET_NS) ||
			      now_ns - d->since_ns >= XG_FP_DEFER_MAX_NS);
		}
		if (go) {
			/* after everything the server sent; if conntrack has
			 * seen nothing of it, where the client stood */
			answer(e, worker, out, f,
			       d->srv_nxt && xg_seq_lt(d->client_ack, d->srv_nxt) ?
				       d->srv_nxt :
				       d->client_ack);
			f->pending = false;
		} else {
			e->pending[worker][w++] = f;
		}
		pthread_mutex_unlock(&f->lock);
	}
	e->n_pending[worker] = w;
	return w + duty;
}

/* --------------------------------------------------------- lifetime -- */

int xg_fp_engine_init(struct xg_fp_engine *e, const struct xg_fp_limits *lim,
		      unsigned n_workers)
{
	memset(e, 0, sizeof(*e));
	e->lim = *lim;
	if (!n_workers || !lim->stream_buffer || lim->max_head > lim->stream_buffer)
		return -EINVAL;
	e->n_workers = n_workers;
	e->count = calloc(n_workers, sizeof(*e->count));
	e->pending = calloc(n_workers, sizeof(*e->pending));
	e->n_pending = calloc(n_workers, sizeof(*e->n_pending));
	e->duty = calloc(n_workers, sizeof(*e->duty));
	e->n_duty = calloc(n_workers, sizeof(*e->n_duty));
	if (!e->count || !e->pending || !e->n_pending || !e->duty ||
	    !e->n_duty) {
		free(e->count);
		free(e->pending);
		free(e->n_pending);
		free(e->duty);
		free(e->n_duty);
		return -ENOMEM;
	}
	e->flows = cds_lfht_new(1024, 1024, 0,
				CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!e->flows) {
		free(e->count);
		free(e->pending);
		free(e->n_pending);
		free(e->duty);
		free(e->n_duty);
		return -ENOMEM;
	}
	pthread_mutex_init(&e->ev_lock, NULL);
	{
		struct timespec ts;

		/* the clock XDP stamps conntrack with */
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		e->started_ns = (uint64_t)ts.tv_sec * 1000000000ull +
				(uint64_t)ts.tv_nsec;
	}
	return 0;
}

void xg_fp_engine_fini(struct xg_fp_engine *e)
{
	struct cds_lfht_iter it;
	struct fp_flow *f;

	if (!e->flows)
		return;
	rcu_read_lock();
	cds_lfht_for_each_entry (e->flows, &it, f, node) {
		pthread_mutex_lock(&f->lock);
		flow_remove(e, f);
		pthread_mutex_unlock(&f->lock);
	}
	rcu_read_unlock();
	for (unsigned w = 0; w < e->n_workers; w++)
		for (unsigned i = 0; i < e->n_duty[w]; i++)
			call_rcu(&e->duty[w][i]->rcu, flow_free_rcu);
	rcu_barrier(); /* every flow freed */
	cds_lfht_destroy(e->flows, NULL);
	e->flows = NULL;
	if (e->table)
		xg_l7_table_free(e->table);
	free(e->count);
	free(e->pending);
	free(e->n_pending);
	free(e->duty);
	free(e->n_duty);
	pthread_mutex_destroy(&e->ev_lock);
}

void xg_fp_publish(struct xg_fp_engine *e, struct xg_l7_table *t)
{
	struct xg_l7_table *old = e->table;

	rcu_assign_pointer(e->table, t);
	synchronize_rcu();
	if (old)
		xg_l7_table_free(old);
}

const struct xg_l7_table *xg_fp_table(const struct xg_fp_engine *e)
{
	return e->table;
}

void xg_fp_counters(const struct xg_fp_engine *e, uint64_t out[XG_FP_C__MAX])
{
	memset(out, 0, sizeof(uint64_t) * XG_FP_C__MAX);
	for (unsigned w = 0; w < e->n_workers; w++)
		for (int c = 0; c < XG_FP_C__MAX; c++)
			out[c] += __atomic_load_n(&e->count[w][c],
						  __ATOMIC_RELAXED);
}

unsigned long xg_fp_flow_count(struct xg_fp_engine *e)
{
	long before, after;
	unsigned long n;

	rcu_read_lock();
	cds_lfht_count_nodes(e->flows, &before, &n, &after);
	rcu_read_unlock();
	return n;
}

size_t xg_fp_events(struct xg_fp_engine *e, struct xg_fp_event *out, size_t n)
{
	size_t have, first;

	pthread_mutex_lock(&e->ev_lock);
	have = e->ev_next < XG_FP_EVENTS ? (size_t)e->ev_next : XG_FP_EVENTS;
	if (n > have)
		n = have;
	first = (size_t)(e->ev_next - n);
	for (size_t i = 0; i < n; i++)
		out[i] = e->ev[(first + i) % XG_FP_EVENTS];
	pthread_mutex_unlock(&e->ev_lock);
	return n;
}
