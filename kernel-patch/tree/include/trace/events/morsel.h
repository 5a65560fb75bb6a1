/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the morsel mechanism: perf record -e 'morsel:*'.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM morsel

#if !defined(_TRACE_MORSEL_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MORSEL_H

#include <linux/tracepoint.h>
#include <uapi/linux/morsel_pte.h>

/*
 * A field of a page entry (include/uapi/linux/morsel_pte.h) without casts,
 * so that perf's format parser can evaluate it.
 */
#define MORSEL_TP_PTE(e, f) (((e) >> MORSEL_PTE_##f##_SHIFT) & MORSEL_PTE_##f##_MASK)

#ifndef MORSEL_XFER_HOST_SHIFT
/*
 * Transfer ids (mm/morsel/xfer.c): every event below but the doorbell's
 * and the registry's records the transfer that the thread recording it
 * serves, as xfer H:N (N-th transfer begun by host H; 0:0 for none).
 * They are equal on every host: a request carries its sender's.
 */
#define MORSEL_XFER_HOST_SHIFT	48
/* A plain literal, as perf's format parser reads it (see above). */
#define MORSEL_XFER_COUNT_MASK	0xffffffffffff
u64 morsel_xfer_current(void);
#endif
#define MORSEL_TP_XFER_FMT " xfer %llu:%llu"
#define MORSEL_TP_XFER_HOST(x) ((x) >> MORSEL_XFER_HOST_SHIFT)
#define MORSEL_TP_XFER_N(x) ((x) & MORSEL_XFER_COUNT_MASK)

/* morsel_msg_send: a request posted to another host's mailbox */
TRACE_EVENT(morsel_msg_send,
	    TP_PROTO(unsigned int src, unsigned int dst, unsigned int type,
		     u64 seq, bool doorbell),
	    TP_ARGS(src, dst, type, seq, doorbell),
	    TP_STRUCT__entry(__field(unsigned int, src)
			     __field(unsigned int, dst)
			     __field(unsigned int, type)
			     __field(u64, seq)
			     __field(bool, doorbell)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->src = src;
			   __entry->dst = dst;
			   __entry->type = type;
			   __entry->seq = seq;
			   __entry->doorbell = doorbell;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("host %u -> %u type %u seq %llu doorbell %d" MORSEL_TP_XFER_FMT,
		      __entry->src, __entry->dst, __entry->type, __entry->seq,
		      __entry->doorbell, MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* A request's end on one side: result and how long it took (ack: rtt). */
DECLARE_EVENT_CLASS(morsel_msg_done,
		    TP_PROTO(unsigned int src, unsigned int dst, unsigned int type,
			     u64 seq, int result, u64 ns),
		    TP_ARGS(src, dst, type, seq, result, ns),
		    TP_STRUCT__entry(__field(unsigned int, src)
				     __field(unsigned int, dst)
				     __field(unsigned int, type)
				     __field(u64, seq)
				     __field(int, result)
				     __field(u64, ns)
				     __field(u64, xfer)),
		    TP_fast_assign(__entry->src = src;
				   __entry->dst = dst;
				   __entry->type = type;
				   __entry->seq = seq;
				   __entry->result = result;
				   __entry->ns = ns;
				   __entry->xfer = morsel_xfer_current();),
		    TP_printk("host %u -> %u type %u seq %llu result %d rtt %llu ns"
			      MORSEL_TP_XFER_FMT,
			      __entry->src, __entry->dst, __entry->type, __entry->seq,
			      __entry->result, __entry->ns, MORSEL_TP_XFER_HOST(__entry->xfer),
			      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_msg_handle: a request handled by this host's morsel-rx thread */
DEFINE_EVENT_PRINT(morsel_msg_done, morsel_msg_handle,
		   TP_PROTO(unsigned int src, unsigned int dst, unsigned int type,
			    u64 seq, int result, u64 ns),
		   TP_ARGS(src, dst, type, seq, result, ns),
		   TP_printk("host %u -> %u type %u seq %llu result %d duration %llu ns"
			     MORSEL_TP_XFER_FMT,
			     __entry->src, __entry->dst, __entry->type, __entry->seq,
			     __entry->result, __entry->ns, MORSEL_TP_XFER_HOST(__entry->xfer),
			     MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_msg_ack: the answer to a request arrived at its sender */
DEFINE_EVENT(morsel_msg_done, morsel_msg_ack,
	     TP_PROTO(unsigned int src, unsigned int dst, unsigned int type,
		      u64 seq, int result, u64 ns),
	     TP_ARGS(src, dst, type, seq, result, ns)
);

/* morsel_doorbell_irq: a doorbell interrupt on this host */
TRACE_EVENT(morsel_doorbell_irq,
	    TP_PROTO(unsigned int host),
	    TP_ARGS(host),
	    TP_STRUCT__entry(__field(unsigned int, host)),
	    TP_fast_assign(__entry->host = host;),
	    TP_printk("host %u", __entry->host)
);

/* morsel_host_state: a host's registry state changed, as seen by this host */
TRACE_EVENT(morsel_host_state,
	    TP_PROTO(unsigned int host, u32 epoch, u32 old, u32 new),
	    TP_ARGS(host, epoch, old, new),
	    TP_STRUCT__entry(__field(unsigned int, host)
			     __field(u32, epoch)
			     __field(u32, old)
			     __field(u32, new)),
	    TP_fast_assign(__entry->host = host;
			   __entry->epoch = epoch;
			   __entry->old = old;
			   __entry->new = new;),
	    TP_printk("host %u epoch %u state %u -> %u", __entry->host,
		      __entry->epoch, __entry->old, __entry->new)
);

/*
 * morsel_fault_enter: a fault on an overlay begins a transfer (or finds
 * the access allowed already); morsel_fault ends it
 */
TRACE_EVENT(morsel_fault_enter,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int host, bool write),
	    TP_ARGS(obj, page, host, write),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, host)
			     __field(bool, write)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->host = host;
			   __entry->write = write;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u write %d" MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->host, __entry->write,
		      MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_fault: a fault on an overlay, from entry to PTE (or error) */
TRACE_EVENT(morsel_fault,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int host, bool write,
		     int result, u64 duration_ns),
	    TP_ARGS(obj, page, host, write, result, duration_ns),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, host)
			     __field(bool, write)
			     __field(int, result)
			     __field(u64, duration_ns)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->host = host;
			   __entry->write = write;
			   __entry->result = result;
			   __entry->duration_ns = duration_ns;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u write %d result %d duration %llu ns"
		      MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->host, __entry->write,
		      __entry->result, __entry->duration_ns, MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_acquire: a host gained access to a page (entry changed for it) */
TRACE_EVENT(morsel_acquire,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int host, u64 old,
		     u64 new),
	    TP_ARGS(obj, page, host, old, new),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, host)
			     __field(u64, old)
			     __field(u64, new)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->host = host;
			   __entry->old = old;
			   __entry->new = new;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u state %llu -> %llu readers %#llx -> %#llx seq %llu -> %llu"
		      MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->host,
		      MORSEL_TP_PTE(__entry->old, STATE), MORSEL_TP_PTE(__entry->new, STATE),
		      MORSEL_TP_PTE(__entry->old, READERS),
		      MORSEL_TP_PTE(__entry->new, READERS),
		      MORSEL_TP_PTE(__entry->old, SEQ), MORSEL_TP_PTE(__entry->new, SEQ),
		      MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_release: an exclusive owner gave a page up (recall or close) */
TRACE_EVENT(morsel_release,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int host,
		     bool downgrade, u64 new),
	    TP_ARGS(obj, page, host, downgrade, new),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, host)
			     __field(bool, downgrade)
			     __field(u64, new)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->host = host;
			   __entry->downgrade = downgrade;
			   __entry->new = new;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u downgrade %d seq %llu" MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->host,
		      __entry->downgrade, MORSEL_TP_PTE(__entry->new, SEQ),
		      MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/*
 * morsel_recall_send: ask a host to give up (or downgrade) a page; the
 * morsel_msg_send that follows in the same thread names the request's seq
 * (it has no slot before that, and is stamped before the post so that it
 * precedes the handler's morsel_recall_handle on any clock)
 */
TRACE_EVENT(morsel_recall_send,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int src,
		     unsigned int dst, unsigned int mode),
	    TP_ARGS(obj, page, src, dst, mode),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, src)
			     __field(unsigned int, dst)
			     __field(unsigned int, mode)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->src = src;
			   __entry->dst = dst;
			   __entry->mode = mode;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u -> %u mode %u" MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->src, __entry->dst,
		      __entry->mode, MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_recall_handle: a recall served by this host (seq: its request's) */
TRACE_EVENT(morsel_recall_handle,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int src,
		     unsigned int dst, unsigned int mode, u64 seq),
	    TP_ARGS(obj, page, src, dst, mode, seq),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, src)
			     __field(unsigned int, dst)
			     __field(unsigned int, mode)
			     __field(u64, seq)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->src = src;
			   __entry->dst = dst;
			   __entry->mode = mode;
			   __entry->seq = seq;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u -> %u mode %u seq %llu" MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->src, __entry->dst,
		      __entry->mode, __entry->seq, MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_writeback: a page's lines written back to the pool */
TRACE_EVENT(morsel_writeback,
	    TP_PROTO(unsigned int obj, u64 page, unsigned int host,
		     u64 duration_ns),
	    TP_ARGS(obj, page, host, duration_ns),
	    TP_STRUCT__entry(__field(unsigned int, obj)
			     __field(u64, page)
			     __field(unsigned int, host)
			     __field(u64, duration_ns)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->page = page;
			   __entry->host = host;
			   __entry->duration_ns = duration_ns;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("obj %u page %llu host %u duration %llu ns" MORSEL_TP_XFER_FMT,
		      __entry->obj, __entry->page, __entry->host, __entry->duration_ns,
		      MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

DECLARE_EVENT_CLASS(morsel_page_host,
		    TP_PROTO(unsigned int obj, u64 page, unsigned int host),
		    TP_ARGS(obj, page, host),
		    TP_STRUCT__entry(__field(unsigned int, obj)
				     __field(u64, page)
				     __field(unsigned int, host)
				     __field(u64, xfer)),
		    TP_fast_assign(__entry->obj = obj;
				   __entry->page = page;
				   __entry->host = host;
				   __entry->xfer = morsel_xfer_current();),
		    TP_printk("obj %u page %llu host %u" MORSEL_TP_XFER_FMT, __entry->obj,
			      __entry->page, __entry->host, MORSEL_TP_XFER_HOST(__entry->xfer),
			      MORSEL_TP_XFER_N(__entry->xfer))
);

/* morsel_invalidate: a host dropped its cached copy of a page */
DEFINE_EVENT(morsel_page_host, morsel_invalidate,
	     TP_PROTO(unsigned int obj, u64 page, unsigned int host),
	     TP_ARGS(obj, page, host)
);

/* morsel_shootdown: a page unmapped from every process of a host */
DEFINE_EVENT(morsel_page_host, morsel_shootdown,
	     TP_PROTO(unsigned int obj, u64 page, unsigned int host),
	     TP_ARGS(obj, page, host)
);

/*
 * morsel_recovered: the exclusive owner of a page was declared dead; the
 * page returned to its last written-back content (host: the dead owner)
 */
DEFINE_EVENT(morsel_page_host, morsel_recovered,
	     TP_PROTO(unsigned int obj, u64 page, unsigned int host),
	     TP_ARGS(obj, page, host)
);

/*
 * morsel_relink: this host owned nothing of a 2 MiB (page: its first page)
 * any more; its table of it went, its mappings link the pool's again
 */
DEFINE_EVENT(morsel_page_host, morsel_relink,
	     TP_PROTO(unsigned int obj, u64 page, unsigned int host),
	     TP_ARGS(obj, page, host)
);

/* morsel_policy: one answer of the ownership policy (bpf: by a BPF policy) */
TRACE_EVENT(morsel_policy,
	    TP_PROTO(unsigned int hook, unsigned int obj, u64 page, u32 value,
		     u32 defer_us, bool bpf),
	    TP_ARGS(hook, obj, page, value, defer_us, bpf),
	    TP_STRUCT__entry(__field(unsigned int, hook)
			     __field(unsigned int, obj)
			     __field(u64, page)
			     __field(u32, value)
			     __field(u32, defer_us)
			     __field(bool, bpf)
			     __field(u64, xfer)),
	    TP_fast_assign(__entry->hook = hook;
			   __entry->obj = obj;
			   __entry->page = page;
			   __entry->value = value;
			   __entry->defer_us = defer_us;
			   __entry->bpf = bpf;
			   __entry->xfer = morsel_xfer_current();),
	    TP_printk("%s obj %u page %llu answer %u defer %u us by %s" MORSEL_TP_XFER_FMT,
		      __print_symbolic(__entry->hook, { 0, "read_fault" },
				       { 1, "write_fault" }, { 2, "recall" },
				       { 3, "sync" }, { 4, "tick" }, { 5, "recall_block" },
				       { 6, "relink" }),
		      __entry->obj, __entry->page, __entry->value,
		      __entry->defer_us, __entry->bpf ? "bpf" : "default",
		      MORSEL_TP_XFER_HOST(__entry->xfer),
		      MORSEL_TP_XFER_N(__entry->xfer))
);

#endif /* _TRACE_MORSEL_H */

#include <trace/define_trace.h>
