/*
 * Promela model of the page-ownership protocol (mm/morsel/ownership.c,
 * overlay.c): NH hosts, NP pages, every host performing OPS random reads
 * or writes, each host with a handler process that serves recalls.
 *
 * Modelled: the authoritative entry (state, owner, readers; its sequence
 * field as "changed since read") changed only by atomic compare-and-swap; the pool's hardware entry of the page (pooltable.c),
 * published by the holder (re-checked under the host's publish lock)
 * before it shares the page and cleared by a writer before each attempt
 * to take it; the chunk's linked set: a host
 * that links the pool's table reads a published page with no fault and no
 * protocol (a TLB entry of its own), so a writer revokes the linked hosts
 * as readers; each host's overlay lock, held while a fault
 * re-checks the entry and installs its PTE and while a recall unmaps; the
 * host's PTE (none / read-only / writable); non-coherent data: each host
 * reads and writes a private copy that is filled from the pool when access
 * is granted, written back on release and dropped on revocation.
 *
 * Checked by tests/run.sh with spin (3 hosts, 2 pages, one operation per
 * host; and 2 hosts, 2 pages, two operations per host, with and without
 * the hold):
 *   - assertion: single writer, never a reader beside a writer (PTEs and
 *     entries), in every reachable state (the monitor);
 *   - assertion: no lost update: at the end every page's pool value is the
 *     number of writes to it;
 *   - assertion: a hardware entry is present only for a SHARED page or
 *     while its holder publishes it;
 *   - no invalid end state: no deadlock, every host finishes.
 * Liveness (-DLIVENESS: the monitor only waits; a completed access is the
 * progress label; pan -l -f looks for non-progress cycles under weak
 * fairness; a host that finds a page BUSY sleeps until it changes, as the
 * kernel's acquire_wait() does): with 2 hosts, 2 pages, one access each,
 * spin finds a cycle in which a writer takes the page (BUSY, readers
 * revoked, EXCL) and a reader's downgrade recall takes it back before the
 * writer has mapped it, while the reader's compare-and-swap keeps failing
 * on the writer's changes: neither access completes. The model holds by
 * default, as the kernel does (mm/morsel/hold.c, morsel.min_hold_us): a
 * recall of a page its host took for a write and has not written yet is
 * parked (served after the others) until it has; spin then finds no such
 * cycle. -DNO_HOLD leaves the hold out (min_hold_us=0): spin must then
 * find the cycle above.
 * -DBROKEN_NO_WRITEBACK drops the write-back, -DBROKEN_NO_LINKED leaves the
 * linked hosts out of a writer's revocation: the check must then fail,
 * which shows that the model can catch a lost update and a reader beside
 * a writer.
 *
 * Host failure (-DFAIL; mm/morsel/recall.c): a Killer kills host VICTIM
 * (0 by default; the hosts are alike) at any point before it finished. A
 * dead host never acts or answers again, and is fenced at once: its PTEs,
 * TLB entries, private copies and queued requests are gone, and what it
 * had not written back is lost. A recall does not ask it, and one that
 * asked it and got no answer returns (the lease runs out); the recalls it
 * sent stay queued at the survivors. A survivor whose fault finds the page
 * EXCLUSIVE or BUSY of the dead host recovers it, by compare-and-swap
 * against the entry it read (morsel_recover_dead(), recover_entry(),
 * morsel_own_host_failed()): a dead owner's page returns, SHARED with no
 * reader, to its last written-back content; a dead writer's BUSY leaves
 * the page to the readers it was revoking. Every read (and the read of a
 * write) is checked, in stale-cache terms: the value a host sees is the
 * page's value, the last one written back or a newer one written by a live
 * host (the writes, less those the dead host lost); and the final check
 * holds with that value: no survivor loses its own writes. The handler
 * ignores a reader recall for a page its host owns (recall_revoke()): its
 * sender died with it queued, and the page was recovered and taken since.
 * -DBROKEN_STALE_RECALL honours it, as the kernel did: spin must find the
 * lost write (a writer dies with a reader recall queued at a reader that
 * then recovers the page, writes it, and serves the stale recall: its
 * dirty copy is dropped). That takes two operations of the survivor.
 * Not modelled: the heartbeat's sweep (recall_sweep_dead(), the same
 * compare-and-swaps on every page, which also drop a dead reader from a
 * shared entry: here the reader stays and a recall skips it), a host
 * declared dead but not yet fenced, and a host that joins again.
 * tests/run.sh checks it exhaustively with 2 hosts, 2 pages, two
 * operations each (7.8M states, 20 s; the broken variant fails with 1
 * page), and with 3 hosts, 1 page, one operation each (16.5M states, 45 s).
 * 3 hosts with two operations for one survivor (-DVOPS=1: the victim does
 * one, -DLOPS=1: the last host too), where the stale recall can happen,
 * take 70M states, 4 GB and 4 minutes exhaustively (with two operations
 * for both survivors, more than 100M):
 * tests/run.sh checks that one in bitstate mode, partial coverage (pan
 * -w30, a 128 MB hash array: hash factor 15, 69.9M of the 70.2M states).
 *
 * Punch (-DPUNCH, mm/morsel/object.c: morsel_obj_punch()) is a third
 * operation: the host takes the page as for a write (the owner and the
 * readers revoked), then, under its overlay lock, unmaps it, drops its
 * copy and sets the entry to NONE (morsel_own_punch()); the freed frame
 * keeps its data (the pool's), a later fault fills a fresh zeroed frame:
 * the page's value is 0. A page with no frame is left alone. Every read is
 * checked as with -DFAIL. -DBROKEN_PUNCH punches a shared page without
 * revoking its readers: spin must find a read of the old data.
 */
#ifndef NH
#define NH 3
#endif
#ifndef NP
#define NP 2
#endif
#ifndef OPS
#define OPS 2
#endif

#define NONE	0
#define SHARED	1
#define EXCL	2
#define BUSY	3

#define PTE_NONE 0
#define PTE_RO	1
#define PTE_RW	2

#define R_DOWNGRADE	0
#define R_INVALIDATE	1
#define R_READER	2

#define BIT(h)	(1 << (h))

/* Host failure and punch check the value of every read. */
#if defined(FAIL) || defined(PUNCH)
#define VALUES
#endif
#ifdef FAIL
#ifndef VICTIM
#define VICTIM 0
#endif
#ifndef VOPS
#define VOPS OPS	/* operations of the victim */
#endif
#ifndef LOPS
#define LOPS OPS	/* ... and of the last host, if not the victim */
#endif
#define HOST_OPS(h) (h == VICTIM -> VOPS : (h == NH - 1 -> LOPS : OPS))
#else
#define HOST_OPS(h) OPS
#endif

/*
 * The sequence field: a compare-and-swap succeeds only if the entry did
 * not change since the host read it, even if it changed back (ABA). Kept
 * as one "changed since read" bit per host and page rather than a counter,
 * which a livelock (two hosts taking a page from each other) would run
 * through every value of, multiplying the state space.
 */
#define bump(p)	k = 0; do :: k == NH -> break :: else -> chg[k * NP + p] = true; k++ od; k = 0

byte st[NP];		/* authoritative entries */
byte own[NP];
byte rd[NP];
bool chg[NH * NP];	/* the entry changed since the host read it */
bool hw[NP];		/* the pool's hardware entry is present */
bool pub[NP];		/* its holder is publishing it */
byte linked;		/* hosts that linked the pool's table (one chunk) */
bool tlb[NH * NP];	/* a host read the page through the pool's table */
byte pool[NP];		/* page data in the pool */
byte writes[NP];	/* writes performed, for the final check; with
			   VALUES the page's value: what a read must see */

byte pte[NH * NP];	/* each host's PTE of each page */
bool valid[NH * NP];	/* each host's private copy is valid */
byte copy[NH * NP];	/* ... and its value */
bool lock[NH];		/* each host's overlay lock */
bool hold[NH * NP];	/* a writer took the page and has not written it yet */
byte finished;
#ifdef FAIL
bool dead[NH];		/* the host died (and is fenced) */
bool fin;		/* the victim finished: it can no longer die */
chan stop[2] = [0] of { bit };	/* stop the victim's handler, host */
#endif

chan req[NH] = [NH] of { byte, byte, byte };	/* requester, page, mode */
chan ack[NH] = [1] of { bool };

inline acquire(h) { atomic { !lock[h] -> lock[h] = true } }
inline release(h) { lock[h] = false }

/* The host's copy of the page becomes the pool's (cache miss). */
inline fill(h, p) {
	if
	:: !valid[h * NP + p] -> copy[h * NP + p] = pool[p]; valid[h * NP + p] = true
	:: else -> skip
	fi
}

/*
 * Write back what the host holds. A host that was granted the page but
 * has not filled its copy yet holds nothing (no shadow, no dirty line).
 */
inline writeback(h, p) {
	if
#ifndef BROKEN_NO_WRITEBACK
	:: valid[h * NP + p] -> pool[p] = copy[h * NP + p]
#endif
	:: else -> skip
	fi
}

/* Recall handler of host h: unmap first, then write back and release. */
inline serve(h) {
	req[h] ? from, p, mode ->
#ifndef NO_HOLD
		if
		:: mode != R_READER && hold[h * NP + p] ->
			/* parked: served after the others, once it was written */
			req[h] ! from, p, mode;
			from = 0; p = 0; mode = 0;
			goto next
		:: else -> skip
		fi;
#endif
		acquire(h);
#ifdef FAIL
		/*
		 * A reader recall comes from a host taking the page (BUSY of its
		 * own): if this host owns the page, its sender died with it
		 * queued and the page came here since (recovered, then taken).
		 * The kernel ignores it (recall_revoke()): dropping the copy
		 * would lose this host's writes. -DBROKEN_STALE_RECALL honours
		 * it, as the kernel did before.
		 */
		if
#ifndef BROKEN_STALE_RECALL
		:: mode == R_READER && st[p] == EXCL && own[p] == h -> goto stale
#endif
		:: else -> skip
		fi;
#endif
		pte[h * NP + p] = PTE_NONE;
		if
		:: mode == R_READER ->
			valid[h * NP + p] = false;
			tlb[h * NP + p] = false	/* the flush of the linking mms */
		:: else ->
			atomic {
				if
				:: st[p] == EXCL && own[p] == h ->
					writeback(h, p);
					pub[p] = true;
					hw[p] = true
				:: else -> skip	/* stale recall */
				fi
			};
			atomic {
				if
				:: st[p] == EXCL && own[p] == h ->
					if
					:: mode == R_DOWNGRADE -> rd[p] = BIT(h)
					:: else -> rd[p] = 0; valid[h * NP + p] = false
					fi;
					own[p] = 0;
					st[p] = SHARED;
					bump(p);
					pub[p] = false
				:: else -> skip
				fi
			}
		fi;
#ifdef FAIL
stale:
#endif
		release(h);
#ifdef FAIL
		atomic {	/* a dead host is not answered */
			if
			:: !dead[from] -> ack[from] ! true
			:: else -> skip
			fi;
			from = 0; p = 0; mode = 0
		};
#else
		atomic { ack[from] ! true; from = 0; p = 0; mode = 0 };
#endif
next:
		skip
}

proctype Handler(byte h)
{
	byte from, p, mode, k;
end:
	do
	:: serve(h)
	od
}

#ifdef FAIL
/*
 * The victim's handler (and host, VHost): the same, stopped when it dies.
 * Only the victim's processes run under an escape: it makes each of their
 * statements depend on the death, which costs them partial-order reduction.
 */
proctype VHandler(byte h)
{
	byte from, p, mode, k;

end:	{
end_loop:
		do
		:: serve(h)
		od
	} unless { atomic { stop[0] ? _ -> from = 0; p = 0; mode = 0; k = 0; stop[1] ! 1 } }
}
#endif

/* Ask host o for page p and wait for its answer. */
#ifdef FAIL
/*
 * A dead host is not asked; one that dies meanwhile never answers (the
 * lease runs out: it is declared dead, morsel_recall()).
 */
inline recall(h, o, p, mode) {
	atomic {
		if
		:: !dead[o] -> req[o] ! h, p, mode
		:: else -> skip
		fi
	};
	if
	:: ack[h] ? _
	:: atomic { dead[o] && empty(ack[h]) -> skip }
	fi
}

/*
 * Take page p back from dead host d (morsel_recover_dead(), recover_entry():
 * a compare-and-swap of the entry the host read, morsel_own_host_failed()):
 * a dead owner's page returns, SHARED with no reader, to its last
 * written-back content; a BUSY of a dead writer that was revoking readers
 * leaves them the page (those it revoked already refill from the pool).
 */
inline recover(h, p, d) {
	atomic {
		if
		:: !chg[h * NP + p] && st[p] == EXCL && own[p] == d ->
			st[p] = SHARED; own[p] = 0; rd[p] = 0; pub[p] = false; bump(p)
		:: !chg[h * NP + p] && st[p] == BUSY && own[p] == d ->
			st[p] = SHARED; own[p] = 0; rd[p] = rd[p] & ~BIT(d); bump(p)
		:: else -> skip
		fi
	}
}
#else
inline recall(h, o, p, mode) {
	req[o] ! h, p, mode;
	ack[h] ? _
}
#endif

inline run_host(h) {
	do
	:: op == HOST_OPS(h) -> break
	:: op < HOST_OPS(h) ->
#ifdef FAIL
		atomic {	/* local choices: one step (the victim has no reduction) */
#endif
		if
		:: p = 0
		:: NP > 1 -> p = 1
		fi;
		if
		:: w = false
		:: w = true
#ifdef PUNCH
		:: atomic { w = true; pun = true }	/* morsel_obj_punch() */
#endif
		fi;
		done = false;
#ifdef FAIL
		};
#endif
		/* A read through the pool's table: link (set the bit), then walk. */
		if
		:: !w ->
			atomic { linked = linked | BIT(h) };
			atomic {
				if
				:: hw[p] -> tlb[h * NP + p] = true; done = true
#ifdef VALUES
					; assert(pool[p] == writes[p])
#endif
				:: else -> skip	/* not shown: it faults */
				fi
			}
		:: true -> skip
		fi;
#ifdef PUNCH
		/* A page without a frame is left alone. */
		if
		:: pun && st[p] == NONE -> done = true
		:: else -> skip
		fi;
#endif
		do
		:: done -> break
#ifdef FAIL
		:: atomic {	/* take the lock and read: one step (they commute) */
			!done && !lock[h] -> lock[h] = true;
			es = st[p]; eo = own[p]; er = rd[p]; chg[h * NP + p] = false; others = 0; r = 0
		   };
#else
		:: else ->
			acquire(h);
			atomic { es = st[p]; eo = own[p]; er = rd[p]; chg[h * NP + p] = false; others = 0; r = 0 };
#endif
			if
			:: es == NONE ->
				release(h);
				atomic {	/* fresh frame, zeroed: cmpxchg from NONE */
					if
					:: st[p] == NONE ->
						pool[p] = 0;
						st[p] = EXCL; own[p] = h; bump(p);
						hold[h * NP + p] = w;
						through = true
					:: else -> through = false
					fi
				};
				/* A read fill is published by its holder, then shared. */
				if
				:: through && !w ->
					atomic {	/* only while it holds the page */
						if
						:: st[p] == EXCL && own[p] == h -> pub[p] = true; hw[p] = true
						:: else -> skip
						fi
					};
					atomic {
						if
						:: st[p] == EXCL && own[p] == h ->
							st[p] = SHARED; own[p] = 0; rd[p] = BIT(h);
							bump(p); pub[p] = false
						:: else -> skip
						fi
					}
				:: else -> skip
				fi;
				through = false
			:: es == EXCL && eo == h ->
#ifdef PUNCH
				if
				:: pun ->
					/*
					 * Taken as for a write (readers and owner revoked),
					 * and the overlay lock still held: unmap, drop the
					 * copy, the entry to NONE (compare-and-swap from
					 * EXCLUSIVE, morsel_own_punch()); the frame is freed
					 * with its data: the pool keeps it, a later fault
					 * fills a fresh zeroed one, the page reads 0.
					 */
					atomic {
						pte[h * NP + p] = PTE_NONE;
						tlb[h * NP + p] = false;
						valid[h * NP + p] = false;
						assert(st[p] == EXCL && own[p] == h);
						st[p] = NONE; own[p] = 0; rd[p] = 0; bump(p);
						writes[p] = 0;
						hold[h * NP + p] = false
					}
				:: else ->
#endif
				pte[h * NP + p] = PTE_RW;
				tlb[h * NP + p] = false;	/* privatized: flushed */
				fill(h, p);
				if
#ifdef VALUES
				:: w -> atomic { assert(copy[h * NP + p] == writes[p]); copy[h * NP + p]++; writes[p]++ }
				:: else -> assert(copy[h * NP + p] == writes[p])
#else
				:: w -> copy[h * NP + p]++; writes[p]++
				:: else -> skip
#endif
				fi;
				hold[h * NP + p] = false;
#ifdef PUNCH
				fi;
#endif
				release(h);
				done = true
			:: es == SHARED && !w ->
				atomic {
					if
					:: !chg[h * NP + p] ->
						if
						:: !(er & BIT(h)) -> valid[h * NP + p] = false
						:: else -> skip
						fi;
						rd[p] = er | BIT(h);
						bump(p);
						pte[h * NP + p] = PTE_RO;
						done = true
					:: else -> skip
					fi
				};
				if
				:: done -> fill(h, p)
#ifdef VALUES
					; assert(copy[h * NP + p] == writes[p])
#endif
				:: else -> skip
				fi;
				release(h)
			:: es == SHARED && w ->
				/* Clear the pool's entry, then read who linked it. */
				hw[p] = false;
				atomic {
#ifdef BROKEN_NO_LINKED
					others = er & ~BIT(h);
#else
					others = (er | linked) & ~BIT(h);
#endif
#ifdef BROKEN_PUNCH
					if	/* a punch that revokes no reader */
					:: pun -> others = 0
					:: else -> skip
					fi;
#endif
					if
					:: !chg[h * NP + p] ->
						if
						:: !(er & BIT(h)) -> valid[h * NP + p] = false
						:: else -> skip
						fi;
						own[p] = h;
						bump(p);
						hold[h * NP + p] = true;
						if
						:: others == 0 -> st[p] = EXCL; rd[p] = 0
						:: else -> st[p] = BUSY; rd[p] = others
						fi
					:: else -> others = 0
					fi
				};
				release(h);
				if
				:: others != 0 ->
					r = 0;
					do
					:: r == NH -> break
					:: r < NH && (others & BIT(r)) -> recall(h, r, p, R_READER); r++
					:: r < NH && !(others & BIT(r)) -> r++
					od;
					atomic { st[p] = EXCL; rd[p] = 0; bump(p) }
				:: else -> skip
				fi
#ifdef FAIL
			:: es == EXCL && eo != h && dead[eo] ->
				release(h);
				recover(h, p, eo)
			:: es == EXCL && eo != h && !dead[eo] ->
#else
			:: es == EXCL && eo != h ->
#endif
				release(h);
				if
				:: w -> recall(h, eo, p, R_INVALIDATE)
				:: else -> recall(h, eo, p, R_DOWNGRADE)
				fi
#ifdef FAIL
			:: es == BUSY && dead[eo] ->
				release(h);
				recover(h, p, eo)
			:: es == BUSY && !dead[eo] ->
				release(h);	/* wait (sleeps), then retry */
				st[p] != BUSY || dead[own[p]]
#else
			:: es == BUSY ->
				release(h);	/* wait (sleeps), then retry */
				st[p] != BUSY
#endif
			fi
		od;
progress:
		atomic { op++; es = 0; eo = 0; er = 0; others = 0; r = 0; w = false; done = false; p = 0
#ifdef PUNCH
			; pun = false
#endif
		}
	od;

	/* Close: give every page back, written back (overlay_release). */
	p = 0;
	do
	:: p == NP -> break
	:: p < NP ->
		acquire(h);
		atomic {
			pte[h * NP + p] = PTE_NONE;
			tlb[h * NP + p] = false;	/* unlinked, flushed */
			if
			:: st[p] == EXCL && own[p] == h ->
				writeback(h, p); pub[p] = true; hw[p] = true
			:: else -> skip
			fi
		};
		atomic {
			if
			:: st[p] == EXCL && own[p] == h ->
				st[p] = SHARED; own[p] = 0; rd[p] = 0; bump(p); pub[p] = false
			:: st[p] == SHARED && (rd[p] & BIT(h)) -> rd[p] = rd[p] & ~BIT(h); bump(p)
			:: else -> skip
			fi;
			valid[h * NP + p] = false
		};
		release(h);
		p++
	od;
	atomic { linked = linked & ~BIT(h); finished++
#ifdef FAIL
		; fin = fin || h == VICTIM
#endif
	}
}

#ifdef PUNCH
#define HOST_LOCALS \
	byte op = 0, p, o, others, r, es, eo, er, k; \
	bool w, done, through, pun
#else
#define HOST_LOCALS \
	byte op = 0, p, o, others, r, es, eo, er, k; \
	bool w, done, through
#endif

proctype Host(byte h)
{
	HOST_LOCALS;

	run_host(h)
}

#ifdef FAIL
proctype VHost(byte h)
{
	HOST_LOCALS;

	{ run_host(h) } unless {
		atomic {
			stop[1] ? _ -> op = 0; p = 0; o = 0; others = 0; r = 0; es = 0; eo = 0;
			er = 0; k = 0; w = false; done = false; through = false
#ifdef PUNCH
			; pun = false
#endif
		}
	}
}

/*
 * Host VICTIM may die at any point before it finished (the hosts are
 * alike: one chosen victim stands for any). It is fenced at once: its
 * PTEs, TLB entries, private copies and queued requests are gone, and
 * what it wrote and had not written back is lost: the value of a page it
 * owned is its last written-back content. Its processes stop in the same
 * step (a rendezvous inside an atomic sequence hands it on to the
 * receiver: the Killer to the handler's escape, that one to the host's).
 * The survivors recover its pages when they find them.
 */
active proctype Killer()
{
	byte p;
end:
	atomic {
		!fin ->
		dead[VICTIM] = true;
		finished++;
		p = 0;
		do
		:: p == NP -> break
		:: p < NP ->
			pte[VICTIM * NP + p] = PTE_NONE;
			tlb[VICTIM * NP + p] = false;
			valid[VICTIM * NP + p] = false;
			copy[VICTIM * NP + p] = 0;
			hold[VICTIM * NP + p] = false;
			chg[VICTIM * NP + p] = true;
			if
			:: st[p] == EXCL && own[p] == VICTIM -> writes[p] = pool[p]
			:: else -> skip
			fi;
			p++
		od;
		lock[VICTIM] = false;
		do
		:: nempty(req[VICTIM]) -> req[VICTIM] ? _, _, _
		:: empty(req[VICTIM]) -> break
		od;
		do
		:: nempty(ack[VICTIM]) -> ack[VICTIM] ? _
		:: empty(ack[VICTIM]) -> break
		od;
		p = 0;
		stop[0] ! 1	/* and on to the handler, then the host */
	}
}
#endif

/* Single writer, no reader beside a writer, checked in every state. */
active proctype Monitor()
{
	byte p, h, rw, any;
#ifdef LIVENESS
	finished == NH;
#else
end:
	do
	:: atomic {
		p = 0;
		do
		:: p == NP -> break
		:: p < NP ->
			rw = 0; any = 0; h = 0;
			do
			:: h == NH -> break
			:: h < NH ->
				rw = rw + (pte[h * NP + p] == PTE_RW);
				any = any + (pte[h * NP + p] != PTE_NONE || tlb[h * NP + p]);
				h++
			od;
			assert(rw <= 1);
			assert(rw == 0 || any == 1);
			assert(st[p] != EXCL || rd[p] == 0);
			assert(!hw[p] || st[p] == SHARED || pub[p]);
			p++
		od;
		p = 0; h = 0; rw = 0; any = 0
	   }
	:: finished == NH -> break
	od;
#endif
	/* No lost update: the pool holds every write. */
	p = 0;
	do
	:: p == NP -> break
#ifdef PUNCH
	:: p < NP -> assert(st[p] == NONE && writes[p] == 0 || st[p] != NONE && pool[p] == writes[p]); p++
#else
	:: p < NP -> assert(pool[p] == writes[p]); p++
#endif
	od
}

init
{
	byte h = 0;

	atomic {
		do
		:: h == NH -> break
#ifdef FAIL
		:: h < NH && h != VICTIM -> run Handler(h); run Host(h); h++
		:: h == VICTIM -> run VHandler(h); run VHost(h); h++
#else
		:: h < NH -> run Handler(h); run Host(h); h++
#endif
		od
	}
}
