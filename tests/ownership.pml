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
byte writes[NP];	/* writes performed, for the final check */

byte pte[NH * NP];	/* each host's PTE of each page */
bool valid[NH * NP];	/* each host's private copy is valid */
byte copy[NH * NP];	/* ... and its value */
bool lock[NH];		/* each host's overlay lock */
bool hold[NH * NP];	/* a writer took the page and has not written it yet */
byte finished;

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
proctype Handler(byte h)
{
	byte from, p, mode, k;
end:
	do
	:: req[h] ? from, p, mode ->
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
		release(h);
		atomic { ack[from] ! true; from = 0; p = 0; mode = 0 };
next:
		skip
	od
}

/* Ask host o for page p and wait for its answer. */
inline recall(h, o, p, mode) {
	req[o] ! h, p, mode;
	ack[h] ? _
}

proctype Host(byte h)
{
	byte op = 0, p, o, others, r, es, eo, er, k;
	bool w, done, through;

	do
	:: op == OPS -> break
	:: op < OPS ->
		if
		:: p = 0
		:: NP > 1 -> p = 1
		fi;
		if
		:: w = false
		:: w = true
		fi;
		done = false;
		/* A read through the pool's table: link (set the bit), then walk. */
		if
		:: !w ->
			atomic { linked = linked | BIT(h) };
			atomic {
				if
				:: hw[p] -> tlb[h * NP + p] = true; done = true
				:: else -> skip	/* not shown: it faults */
				fi
			}
		:: true -> skip
		fi;
		do
		:: done -> break
		:: else ->
			acquire(h);
			atomic { es = st[p]; eo = own[p]; er = rd[p]; chg[h * NP + p] = false; others = 0; r = 0 };
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
				pte[h * NP + p] = PTE_RW;
				tlb[h * NP + p] = false;	/* privatized: flushed */
				fill(h, p);
				if
				:: w -> copy[h * NP + p]++; writes[p]++
				:: else -> skip
				fi;
				hold[h * NP + p] = false;
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
			:: es == EXCL && eo != h ->
				release(h);
				if
				:: w -> recall(h, eo, p, R_INVALIDATE)
				:: else -> recall(h, eo, p, R_DOWNGRADE)
				fi
			:: es == BUSY ->
				release(h);	/* wait (sleeps), then retry */
				st[p] != BUSY
			fi
		od;
progress:
		atomic { op++; es = 0; eo = 0; er = 0; others = 0; r = 0; w = false; done = false; p = 0 }
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
	atomic { linked = linked & ~BIT(h); finished++ }
}

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
	:: p < NP -> assert(pool[p] == writes[p]); p++
	od
}

init
{
	byte h = 0;

	atomic {
		do
		:: h == NH -> break
		:: h < NH -> run Handler(h); run Host(h); h++
		od
	}
}
