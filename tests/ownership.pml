/*
 * Promela model of the page-ownership protocol (mm/morsel/ownership.c,
 * overlay.c): NH hosts, NP pages, every host performing OPS random reads
 * or writes, each host with a handler process that serves recalls.
 *
 * Modelled: the authoritative entry (state, owner, readers) changed only
 * by atomic compare-and-swap; each host's overlay lock, held while a fault
 * re-checks the entry and installs its PTE and while a recall unmaps; the
 * host's PTE (none / read-only / writable); non-coherent data: each host
 * reads and writes a private copy that is filled from the pool when access
 * is granted, written back on release and dropped on revocation.
 *
 * Checked by tests/run.sh with spin:
 *   - assertion: single writer, never a reader beside a writer (PTEs and
 *     entries), in every reachable state (the monitor);
 *   - assertion: no lost update: at the end every page's pool value is the
 *     number of writes to it;
 *   - no invalid end state: no deadlock, every host finishes.
 * -DBROKEN_NO_WRITEBACK drops the write-back: the check must then fail,
 * which shows that the model can catch a lost update.
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

byte st[NP];		/* authoritative entries */
byte own[NP];
byte rd[NP];
byte pool[NP];		/* page data in the pool */
byte writes[NP];	/* writes performed, for the final check */

byte pte[NH * NP];	/* each host's PTE of each page */
bool valid[NH * NP];	/* each host's private copy is valid */
byte copy[NH * NP];	/* ... and its value */
bool lock[NH];		/* each host's overlay lock */
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
	byte from, p, mode;
end:
	do
	:: req[h] ? from, p, mode ->
		acquire(h);
		pte[h * NP + p] = PTE_NONE;
		if
		:: mode == R_READER ->
			valid[h * NP + p] = false
		:: else ->
			atomic {
				if
				:: st[p] == EXCL && own[p] == h ->
					writeback(h, p);
					if
					:: mode == R_DOWNGRADE -> rd[p] = BIT(h)
					:: else -> rd[p] = 0; valid[h * NP + p] = false
					fi;
					own[p] = 0;
					st[p] = SHARED
				:: else -> skip	/* stale recall */
				fi
			}
		fi;
		release(h);
		atomic { ack[from] ! true; from = 0; p = 0; mode = 0 }
	od
}

/* Ask host o for page p and wait for its answer. */
inline recall(h, o, p, mode) {
	req[o] ! h, p, mode;
	ack[h] ? _
}

proctype Host(byte h)
{
	byte op = 0, p, o, others, r, es, eo, er;
	bool w, done;

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
		do
		:: done -> break
		:: else ->
			acquire(h);
			atomic { es = st[p]; eo = own[p]; er = rd[p]; others = 0; r = 0 };
			if
			:: es == NONE ->
				release(h);
				atomic {	/* fresh frame, zeroed: cmpxchg from NONE */
					if
					:: st[p] == NONE ->
						pool[p] = 0;
						if
						:: w -> st[p] = EXCL; own[p] = h
						:: else -> st[p] = SHARED; rd[p] = BIT(h)
						fi
					:: else -> skip
					fi
				}
			:: es == EXCL && eo == h ->
				pte[h * NP + p] = PTE_RW;
				fill(h, p);
				if
				:: w -> copy[h * NP + p]++; writes[p]++
				:: else -> skip
				fi;
				release(h);
				done = true
			:: es == SHARED && !w ->
				atomic {
					if
					:: st[p] == es && rd[p] == er ->
						if
						:: !(er & BIT(h)) -> valid[h * NP + p] = false
						:: else -> skip
						fi;
						rd[p] = er | BIT(h);
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
			:: es == SHARED && w && (er & ~BIT(h)) == 0 ->
				atomic {
					if
					:: st[p] == es && rd[p] == er ->
						if
						:: !(er & BIT(h)) -> valid[h * NP + p] = false
						:: else -> skip
						fi;
						st[p] = EXCL; own[p] = h; rd[p] = 0
					:: else -> skip
					fi
				};
				release(h)
			:: es == SHARED && w && (er & ~BIT(h)) != 0 ->
				others = er & ~BIT(h);
				atomic {
					if
					:: st[p] == es && rd[p] == er ->
						st[p] = BUSY; own[p] = h; rd[p] = others
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
					atomic { st[p] = EXCL; rd[p] = 0 }
				:: else -> skip
				fi
			:: es == EXCL && eo != h ->
				release(h);
				if
				:: w -> recall(h, eo, p, R_INVALIDATE)
				:: else -> recall(h, eo, p, R_DOWNGRADE)
				fi
			:: es == BUSY ->
				release(h)	/* wait: retry */
			fi
		od;
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
			if
			:: st[p] == EXCL && own[p] == h ->
				writeback(h, p); st[p] = SHARED; own[p] = 0; rd[p] = 0
			:: st[p] == SHARED && (rd[p] & BIT(h)) -> rd[p] = rd[p] & ~BIT(h)
			:: else -> skip
			fi;
			valid[h * NP + p] = false
		};
		release(h);
		p++
	od;
	finished++
}

/* Single writer, no reader beside a writer, checked in every state. */
active proctype Monitor()
{
	byte p, h, rw, any;
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
				any = any + (pte[h * NP + p] != PTE_NONE);
				h++
			od;
			assert(rw <= 1);
			assert(rw == 0 || any == 1);
			assert(st[p] != EXCL || rd[p] == 0);
			p++
		od;
		p = 0; h = 0; rw = 0; any = 0
	   }
	:: finished == NH -> break
	od;
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
