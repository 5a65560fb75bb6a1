#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-transfer latency breakdown of page ownership transfers, from perf,
with every host's traces joined into one timeline per transfer.

    xfer-breakdown.py RUN_DIR            (hostN.log from scripts/hosts.sh -o)
    xfer-breakdown.py host0.log host1.log ...
    xfer-breakdown.py --csv FILE RUN_DIR (also one row per transfer)
    xfer-breakdown.py --timeline FILE RUN_DIR
                                         (also every joined transfer)
    xfer-breakdown.py --selftest

Input: the guest job xfertrace (bench/guest/xfertrace.sh) prints each host's
`perf script` output of morsel:* between MORSEL-PERF-BEGIN and
MORSEL-PERF-END on its serial console.

Every event names the transfer it serves (" xfer H:N", mm/morsel/xfer.c):
a fault begins one on its host (morsel_fault_enter ... morsel_fault), its
recall requests carry the id, and the hosts that handle them trace their
work under it. The join is by id, on all hosts at once: no thread or
time heuristics, also for a request that the handler parked while it
served others. A recall's two sides are matched by (requester, handler,
seq) as well, and one whose sides name different transfers is reported.

A transfer is a fault on the taker (a write fault, or a read fault that a
policy lets take the page) that recalls the page from its exclusive owner
(recall mode INVALIDATE) in one round; its time is split into stages,
each between two tracepoints:

  1 fault entry -> recall sent          taker   morsel_fault_enter,
                                                morsel_recall_send
  2 recall sent -> recall handled       both    recall_send, recall_handle
  3 recall handled -> write-back done   owner   recall_handle, writeback
  4 write-back done -> release          owner   writeback, release
  5 release -> entry acquired           both    release, acquire
  6 entry acquired -> writable mapped   taker   acquire, morsel_fault (or
                                                morsel_policy write_fault)
  7 mapped -> fault end                 taker   morsel_policy write_fault,
                                                morsel_fault

Stage 7 and the split of stage 3 around the owner's morsel_policy recall
answer (its deferral) exist only with the ownership-policy interface, whose
tracepoint says where the page was mapped and the policy asked about more
pages (the grant, taken in stage 7).

Every fault that sent recalls (to readers too, to several hosts at once,
in several rounds) also gets a timeline: all hosts' events of it on the
taker's clock, with other transfers' acquires of the page meanwhile (why a
fault needs a second round). --timeline writes them all; the report shows
one of those that spanned the most hosts.

The guests record with -k monotonic, the clock of the tracepoints'
ktime_get_ns() durations. Hosts' clocks are unrelated: every pair of hosts
that exchanged recalls gets a map of one clock onto the other from
causality alone: for every recall exchange (either direction)

  recall_send (requester) < recall_handle (handler)      lower bound
  last handler event before the answer < msg_ack (req.)  upper bound

on the offset between the two clocks (every stamp is taken in program
order, so these hold whatever the delays). The offset is the middle of the
band that every bound allows, which assumes the fastest one-way trips are
equally fast both ways; if no constant offset fits (the guests calibrate
their TSCs separately, a few ppm apart, which shows over long runs), a line
offset + skew * t with the largest margin. The band's width is printed:
stages 2 and 5 are exact to within half of it, their sum exactly, and a
timeline prints each other host's events with that +-.
"""
import argparse
import io
import os
import re
import sys

RECALL_MSG = 3  # MORSEL_MSG_RECALL (mm/morsel/internal.h)
MODE_INVALIDATE = 1  # MORSEL_RECALL_INVALIDATE: the owner gives the page up

# One perf script line: optional comm/tid/[cpu] fields, then "secs.frac:",
# then "morsel:event:" and the tracepoint's TP_printk text. Searched, not
# anchored: a kernel message can share the console with perf's output.
LINE = re.compile(r'(?:(\d+)\s+)?(?:\[\d+\]\s+)?(\d+)\.(\d{6,9}):\s+'
                  r'morsel:(morsel_\w+):\s*(.*?)\s*$')

# Every event but the doorbell's and the registry's ends in the transfer
# it serves (mm/morsel/xfer.c): " xfer H:N", the N-th transfer host H
# began; 0:0 for none.
XFER = re.compile(r'\s+xfer (\d+):(\d+)$')

# The TP_printk formats of include/trace/events/morsel.h, without the id.
_N = r'(-?\d+)'
FORMATS = {
    'morsel_msg_send': (r'host %N -> %N type %N seq %N doorbell %N',
                        'src dst type seq doorbell'),
    'morsel_msg_handle': (r'host %N -> %N type %N seq %N result %N duration %N ns',
                          'src dst type seq result ns'),
    'morsel_msg_ack': (r'host %N -> %N type %N seq %N result %N rtt %N ns',
                       'src dst type seq result ns'),
    'morsel_fault_enter': (r'obj %N page %N host %N write %N$',
                           'obj page host write'),
    'morsel_fault': (r'obj %N page %N host %N write %N result %N duration %N ns',
                     'obj page host write result ns'),
    'morsel_acquire': (r'obj %N page %N host %N state %N -> %N',
                       'obj page host old new'),
    'morsel_release': (r'obj %N page %N host %N downgrade %N',
                       'obj page host downgrade'),
    'morsel_recall_send': (r'obj %N page %N host %N -> %N mode %N',
                           'obj page src dst mode'),
    'morsel_recall_handle': (r'obj %N page %N host %N -> %N mode %N seq %N',
                             'obj page src dst mode seq'),
    'morsel_writeback': (r'obj %N page %N host %N duration %N ns',
                         'obj page host ns'),
    'morsel_invalidate': (r'obj %N page %N host %N', 'obj page host'),
    'morsel_shootdown': (r'obj %N page %N host %N', 'obj page host'),
    # An ownership policy's answer (with the policy interface): hook name
    # from __print_symbolic, then who answered, "bpf" or "default".
    'morsel_policy': (r'(\w+) obj %N page %N answer %N defer %N us by (\w+)',
                      'hook obj page answer defer by'),
}
FORMATS = {ev: (re.compile(fmt.replace('%N', _N)), names.split())
           for ev, (fmt, names) in FORMATS.items()}

STAGES = [
    ('1 fault entry -> recall sent', 'taker'),
    ('2 recall sent -> recall handled', 'cross'),
    ('3 recall handled -> write-back done', 'owner'),
    ('4 write-back done -> release', 'owner'),
    ('5 release -> entry acquired', 'cross'),
    ('6 entry acquired -> writable mapped', 'taker'),
    ('7 mapped -> fault end: policy, grant', 'taker'),
]


class Event:
    __slots__ = ('t', 'tid', 'name', 'f', 'x')

    def __init__(self, t, tid, name, f, x=None):
        self.t, self.tid, self.name, self.f, self.x = t, tid, name, f, x

    def __repr__(self):
        return '%d %s %s %s %s' % (self.t, self.tid, self.name, self.f, self.x)


class Host:
    """One host's trace: its events in time order and its counters."""

    def __init__(self, hid, source):
        self.id, self.source = hid, source
        self.events = []
        self.by_xfer = {}      # transfer id -> this host's events of it
        self.counters = {}
        self.skipped = 0       # lines in the section that did not parse
        self.complete = False  # MORSEL-PERF-END seen
        self.accel = None      # from objbench's table, if this host printed it
        self.setup = None      # "2 hosts, 1 vCPU(s) per host", from there too
        self.policy = None     # the init's MORSEL-POLICY line, if any


def parse_ts(sec, frac):
    """'12', '345678901' -> ns, exactly (perf prints us without --ns)."""
    return int(sec) * 1000000000 + int(frac.ljust(9, '0')[:9])


def parse_line(line):
    m = LINE.search(line)
    if not m:
        return None
    tid, sec, frac, name, text = m.groups()
    xm = XFER.search(text)
    x = None
    if xm:
        x = (int(xm.group(1)), int(xm.group(2)))
        text = text[:xm.start()]
        x = x if x != (0, 0) else None
    fmt = FORMATS.get(name)
    if fmt is None:
        return Event(parse_ts(sec, frac), tid and int(tid), name, {}, x)
    if not xm:
        return False    # an event of ours without its transfer id
    fm = fmt[0].match(text)
    if not fm:
        return False
    return Event(parse_ts(sec, frac), tid and int(tid), name,
                 {k: int(v) if v.lstrip('-').isdigit() else v
                  for k, v in zip(fmt[1], fm.groups())}, x)


def parse_log(path, text=None):
    """The last MORSEL-PERF section of a serial log, as a Host (or None)."""
    if text is None:
        with open(path, errors='replace') as f:
            text = f.read()
    fallback = re.search(r'host(\d+)\.log$', path or '')
    job = re.search(r'MORSEL-JOB-BEGIN \S+ host (\d+)', text)
    accel = re.search(r'accelerator (\w+), (\d+ hosts, \d+ vCPU\(s\) per host)', text)
    host, inside = None, False
    for raw in text.splitlines():
        line = raw.rstrip('\r')
        if line.startswith('MORSEL-PERF-BEGIN'):
            m = re.match(r'MORSEL-PERF-BEGIN host (\d+)', line)
            hid = m or job or fallback
            host = Host(int(hid.group(1)) if hid else None, path)
            inside = True
        elif line.startswith('MORSEL-PERF-END'):
            inside = False
            if host:
                host.complete = True
        elif inside:
            ev = parse_line(line)
            if ev:
                host.events.append(ev)
            elif ev is False or 'morsel:' in line:
                host.skipped += 1
    if host is None:
        return None
    m = re.findall(r'^MORSEL-PERF-COUNTERS.*$', text, re.M)
    if m:
        host.counters = {k: int(v) for k, v in re.findall(r'(\w+)=(-?\d+)', m[-1])}
    host.events.sort(key=lambda e: e.t)  # stable: equal stamps keep their order
    for e in host.events:
        if e.x:
            host.by_xfer.setdefault(e.x, []).append(e)
    if accel:
        host.accel, host.setup = accel.groups()
    policy = re.search(r'^MORSEL-POLICY (?!loader)(.*?)\r?$', text, re.M)
    if policy:
        host.policy = 'policy ' + policy.group(1)
    return host


class Exchange:
    """One recall message, both ends."""

    def __init__(self, req, dst, seq):
        self.req, self.dst, self.seq = req, dst, seq
        self.xfer = None      # the transfer id the requester sent
        self.send = None      # recall_send on the requester
        self.ack = None       # msg_ack on the requester
        self.handle = None    # recall_handle on the handler
        self.owner = []       # the handler's events of the transfer, to done
        self.done = None      # msg_handle on the handler

    def complete(self):
        return self.send and self.ack and self.handle and self.done

    def last_before_answer(self):
        """The handler's latest event before it completed the slot. Not
        msg_handle, which fires after the completion, and not its start
        (msg_handle - duration): a stamp late by a vCPU stall moves it."""
        return max([self.handle.t] + [e.t for e in self.owner])


OWNER_EVENTS = ('morsel_shootdown', 'morsel_writeback', 'morsel_invalidate',
                'morsel_release', 'morsel_policy')


def link_exchanges(hosts):
    """Recall messages keyed (requester, handler, seq), both sides filled.
    The requester's side is its recall_send and the msg_send that follows
    it for the same transfer and host (that one names the seq), then the
    msg_ack of that seq; the handler's side is its recall_handle and
    msg_handle of the seq, and between them the events it traced for that
    transfer, which carry the requester's id (also when the handler parked
    the request and served others meanwhile). Returns the exchanges and
    those whose two sides disagree on the transfer id."""
    ex, mismatched = {}, []

    def get(req, dst, seq):
        return ex.setdefault((req, dst, seq), Exchange(req, dst, seq))

    for h in hosts.values():
        sent = {}
        for e in h.events:
            n, f = e.name, e.f
            # By thread too: recalls that serve no transfer (0:0) may be
            # sent by two threads at once.
            if n == 'morsel_recall_send' and f['src'] == h.id:
                sent[(e.tid, e.x, f['dst'])] = e
            elif n == 'morsel_msg_send' and f['type'] == RECALL_MSG and f['src'] == h.id:
                rs = sent.pop((e.tid, e.x, f['dst']), None)
                if rs:
                    x = get(h.id, f['dst'], f['seq'])
                    x.send, x.xfer = rs, e.x
            elif n == 'morsel_msg_ack' and f['type'] == RECALL_MSG and f['src'] == h.id:
                x = ex.get((h.id, f['dst'], f['seq']))
                if x:
                    x.ack = e
            elif n == 'morsel_recall_handle' and f['dst'] == h.id:
                get(f['src'], h.id, f['seq']).handle = e
            elif n == 'morsel_msg_handle' and f['type'] == RECALL_MSG and f['dst'] == h.id:
                x = ex.get((f['src'], h.id, f['seq']))
                if x and x.handle:
                    x.done = e
    for x in list(ex.values()):
        if not (x.handle and x.done):
            continue
        if x.send and x.handle.x != x.xfer:
            mismatched.append(x)
            del ex[(x.req, x.dst, x.seq)]   # no bounds from it either
            continue
        x.owner = [e for e in hosts[x.dst].by_xfer.get(x.handle.x, ())
                   if x.handle.t <= e.t <= x.done.t and e.name in OWNER_EVENTS]
    return ex, mismatched


class Clock:
    """Map host y's clock onto host x's (x < y): t_x = t_y + a + b * (t - tm)."""

    def __init__(self, x, y):
        self.x, self.y = x, y
        self.lo, self.hi = [], []   # (tau in x's clock, bound on t_x - t_y)
        self.a = self.b = self.tm = 0.0
        self.gap = self.gap0 = None

    def add(self, exch):
        """Bounds from one complete recall exchange."""
        rs, rh = exch.send.t, exch.handle.t
        last, ack = exch.last_before_answer(), exch.ack.t
        if exch.req == self.x:    # x asked y
            self.lo.append((rs, rs - rh))
            self.hi.append((ack, ack - last))
        else:                     # y asked x
            self.hi.append((rh, rh - rs))
            self.lo.append((last, last - ack))

    def _band(self, b):
        lo = max(v - b * (t - self.tm) for t, v in self.lo)
        hi = min(v - b * (t - self.tm) for t, v in self.hi)
        return lo, hi

    def _gap(self, b):
        lo, hi = self._band(b)
        return hi - lo

    def fit(self, max_skew=2e-3):
        """A constant offset if one fits every bound (a skew is then not
        measurable against the band's width), else the largest-margin line;
        the margin is concave in b: ternary search."""
        if not self.lo or not self.hi:
            return False
        ts = [t for t, _ in self.lo + self.hi]
        self.tm = sum(ts) / len(ts)
        lo, hi = self._band(0.0)
        self.gap0 = self.gap = hi - lo
        self.a = (lo + hi) / 2
        if self.gap0 >= 0:
            return True
        a, b = -max_skew, max_skew
        for _ in range(200):
            m1, m2 = a + (b - a) / 3, b - (b - a) / 3
            if self._gap(m1) < self._gap(m2):
                a = m1
            else:
                b = m2
        self.b = (a + b) / 2
        lo, hi = self._band(self.b)
        if self.gap0 >= hi - lo:    # no better than a constant offset
            self.b = 0.0
            lo, hi = self._band(0.0)
        self.gap = hi - lo
        self.a = (lo + hi) / 2
        return True

    def delta(self, tx):
        return self.a + self.b * (tx - self.tm)

    def to(self, host, t, src):
        """t on host src's clock, on host `host`'s clock."""
        if src == host:
            return t
        if host == self.x:       # y -> x
            return t + self.delta(t + self.a)
        return t - self.delta(t)  # x -> y


def clocks_for(exchanges):
    clocks = {}
    for x in exchanges.values():
        if not x.complete():
            continue
        key = (min(x.req, x.dst), max(x.req, x.dst))
        clocks.setdefault(key, Clock(*key)).add(x)
    for c in clocks.values():
        c.fit()
    return clocks


def faults(hosts):
    """Every fault, as (taker, id, enter, end, the taker's events of it)."""
    out = []
    for h in hosts.values():
        for e in h.events:
            if e.name != 'morsel_fault_enter' or e.f['host'] != h.id or not e.x:
                continue
            evs = h.by_xfer.get(e.x, [])
            end = next((w for w in evs if w.name == 'morsel_fault' and w.t >= e.t), None)
            out.append((h.id, e.x, e, end, evs))
    return out


def transfers(hosts, exchanges, clocks):
    """Every fault that recalled its page from an exclusive owner, in one
    round (one recall, INVALIDATE), split into stages."""
    by_xfer = {}
    for x in exchanges.values():
        if x.send and x.xfer:
            by_xfer.setdefault(x.xfer, []).append(x)
    rows, why = [], {}

    def miss(reason):
        why[reason] = why.get(reason, 0) + 1

    for taker, xid, enter, end, evs in faults(hosts):
        page = (enter.f['obj'], enter.f['page'])
        sends = [w for w in evs if w.name == 'morsel_recall_send']
        # A read fault takes the page too when a policy says so.
        if not any(w.f['mode'] == MODE_INVALIDATE for w in sends):
            continue        # fresh page, own page, or readers only
        if end is None:
            miss('no fault end traced')
            continue
        f = end.f
        if f['result'] != 0:
            miss('fault failed')
            continue
        if len(sends) != 1:
            miss('more than one recall round (see the timelines)')
            continue
        rs = sends[0]
        acq = [w for w in evs if w.name == 'morsel_acquire' and w.t >= rs.t and
               (w.f['obj'], w.f['page']) == page]
        xs = by_xfer.get(xid, [])
        x = xs[0] if len(xs) == 1 else None
        if not acq:
            miss('no acquire after the recall')
            continue
        if not x or not x.ack:
            miss('recall message not matched on the taker')
            continue
        if not x.done:
            miss('recall not found on the owner')
            continue
        wbs = [w for w in x.owner if w.name == 'morsel_writeback']
        rels = [w for w in x.owner if w.name == 'morsel_release']
        if not wbs or not rels:
            miss('owner traced no write-back or release')
            continue
        rel = rels[-1]
        wb = ([w for w in wbs if w.t <= rel.t] or wbs)[-1]
        c = clocks.get((min(taker, x.dst), max(taker, x.dst)))
        if not c or c.gap is None:
            miss('owner clock not aligned')
            continue
        acq = acq[0]
        f0 = enter.t
        # With an ownership policy, a write fault asks it for more pages
        # once its own is mapped (morsel_policy write_fault): that ends
        # stage 6; the pages taken after it (the grant) are stage 7.
        mapped = next((w for w in evs if w.name == 'morsel_policy' and
                       w.f['hook'] == 'write_fault' and w.t >= acq.t), end)
        granted = sum(1 for w in evs if w.name == 'morsel_acquire' and
                      w.f['obj'] == page[0] and w.f['page'] != page[1] and
                      w.t >= mapped.t)
        # The owner's policy may defer its answer (morsel_policy recall).
        pol = next((w for w in x.owner if w.name == 'morsel_policy' and
                    w.f['hook'] == 'recall'), None)
        rh_t = c.to(taker, x.handle.t, x.dst)
        rel_t = c.to(taker, rel.t, x.dst)
        rows.append({
            'taker': taker, 'owner': x.dst, 'obj': page[0], 'page': page[1],
            'write': f['write'], 'seq': x.seq, 'xfer': xid, 'start': f0,
            'stages': [rs.t - f0, rh_t - rs.t, wb.t - x.handle.t,
                       rel.t - wb.t, acq.t - rel_t, mapped.t - acq.t,
                       end.t - mapped.t],
            'release_ack': x.ack.t - rel_t, 'ack_acquire': acq.t - x.ack.t,
            'policy': pol and pol.t - x.handle.t,
            'defer': pol and pol.f['defer'] * 1000,
            'granted': granted, 'marked': mapped is not end,
            'total': end.t - f0,
            'cross': (acq.t - rs.t) - (rel.t - x.handle.t),
            'rtt': x.ack.f['ns'],
        })
    return rows, why


# What each event is called in a timeline; the fields shown after it.
LABELS = {
    'morsel_fault_enter': ('fault (%s)', lambda f: 'write' if f['write'] else 'read'),
    'morsel_recall_send': ('recall sent to host %d, mode %s',
                           lambda f: (f['dst'], MODES.get(f['mode'], f['mode']))),
    'morsel_msg_send': ('  request posted, seq %d%s',
                        lambda f: (f['seq'], ', doorbell' if f['doorbell'] else '')),
    'morsel_recall_handle': ('recall handled (from host %d, seq %d)',
                             lambda f: (f['src'], f['seq'])),
    'morsel_policy': ('policy %s: answer %d, defer %d us (%s)',
                      lambda f: (f['hook'], f['answer'], f['defer'], f['by'])),
    'morsel_shootdown': ('unmapped here (TLB shootdown)', None),
    'morsel_writeback': ('written back (%d ns)', lambda f: f['ns']),
    'morsel_invalidate': ('cached copy dropped', None),
    'morsel_release': ('entry released%s',
                       lambda f: ' (downgraded)' if f['downgrade'] else ''),
    'morsel_msg_handle': ('answered (seq %d)', lambda f: f['seq']),
    'morsel_msg_ack': ('answer from host %d seen (seq %d, rtt %d us)',
                       lambda f: (f['dst'], f['seq'], f['ns'] // 1000)),
    'morsel_acquire': ('entry acquired: page %d, state %d -> %d',
                       lambda f: (f['page'], f['old'], f['new'])),
    'morsel_fault': ('fault end, result %d', lambda f: f['result']),
}
MODES = {0: 'downgrade', 1: 'invalidate', 2: 'reader'}


def label(e):
    fmt, args = LABELS.get(e.name, (e.name, None))
    if args is None:
        return fmt
    a = args(e.f)
    return fmt % (a if isinstance(a, tuple) else (a,))


def timelines(hosts, clocks):
    """Every fault that sent a recall, with every host's events of it on
    the taker's clock: (taker, id, [(t, +-ns or None, host, event)]),
    t in ns from the fault's entry; +-: half the causal band of the
    owner's clock (None on the taker; the event is left out if the
    clocks of the two hosts could not be aligned). Other transfers'
    acquires of the same page during the fault are in it too: they are
    why a fault recalls more than once."""
    acquires = {}
    for h in hosts.values():
        for e in h.events:
            if e.name == 'morsel_acquire':
                acquires.setdefault((h.id, e.f['obj'], e.f['page']), []).append(e)
    out = []
    for taker, xid, enter, end, evs in faults(hosts):
        if not any(w.name == 'morsel_recall_send' for w in evs):
            continue
        page = (enter.f['obj'], enter.f['page'])
        stop = end.t if end else evs[-1].t
        rows = [(w.t - enter.t, None, taker, w) for w in evs]
        for h in hosts.values():
            c = clocks.get((min(taker, h.id), max(taker, h.id)))
            if h.id != taker and not (c and c.gap is not None):
                continue
            band = c.gap / 2 if h.id != taker else None

            def at(t):
                return c.to(taker, t, h.id) if h.id != taker else t
            if h.id != taker:
                rows += [(at(w.t) - enter.t, band, h.id, w)
                         for w in h.by_xfer.get(xid, ())]
            rows += [(at(w.t) - enter.t, band, h.id, w)
                     for w in acquires.get((h.id,) + page, ())
                     if w.x != xid and enter.t <= at(w.t) <= stop]
        rows.sort(key=lambda r: r[0])
        out.append((taker, xid, rows))
    return out


def write_timeline(tl, out):
    taker, xid, rows = tl
    hosts = sorted({r[2] for r in rows if r[3].x == xid})
    out.write('transfer %d:%d, hosts %s (times on host %d\'s clock, from the fault)\n'
              % (xid[0], xid[1], ' '.join(map(str, hosts)), taker))
    for t, band, host, e in rows:
        out.write('  %10.1f us %-9s host %d  %s%s\n' % (
            t / 1e3, '+-%.1f' % (band / 1e3) if band is not None else '', host, label(e),
            '' if e.x == xid else ' [transfer %d:%d]' % e.x if e.x else ' [no transfer]'))


def pct(v, p):
    """Nearest rank, as bench/objbench.c's pct()."""
    v = sorted(v)
    return v[int(p * (len(v) - 1) + 0.5)]


def load(paths):
    hosts = {}
    for p in paths:
        h = parse_log(p)
        if h is None:
            print('%s: no MORSEL-PERF section' % p, file=sys.stderr)
            continue
        if h.id is None:
            print('%s: no host id' % p, file=sys.stderr)
            continue
        hosts[h.id] = h
    return hosts


def analyse(hosts):
    exchanges, mismatched = link_exchanges(hosts)
    clocks = clocks_for(exchanges)
    rows, why = transfers(hosts, exchanges, clocks)
    if mismatched:
        why[MISMATCH] = len(mismatched)
    return exchanges, clocks, rows, why


MISMATCH = 'recall whose two sides name different transfers'


def report_joined(exchanges, tls, why, out=sys.stdout):
    """How the hosts' traces joined by transfer id, and one transfer's
    timeline: of those with the most hosts, the one of median length."""
    w = out.write
    done = sum(1 for x in exchanges.values() if x.complete())
    w('joined by transfer id: %d recall exchanges traced on both sides, '
      '%d naming different transfers on the two sides\n' % (done, why.get(MISMATCH, 0)))
    if not tls:
        return
    span = {}
    for tl in tls:
        span.setdefault(len({r[2] for r in tl[2] if r[3].x == tl[1]}), []).append(tl)
    w('faults that sent recalls: %d; by hosts that traced events of them: %s\n' % (
        len(tls), ', '.join('%d hosts %d' % (k, len(v)) for k, v in sorted(span.items()))))
    most = sorted(span[max(span)], key=lambda tl: tl[2][-1][0])
    write_timeline(most[len(most) // 2], out)


def report(hosts, clocks, rows, why, accel, out=sys.stdout):
    w = out.write
    for h in sorted(hosts.values(), key=lambda h: h.id):
        w('host %d: %d events%s%s\n' % (
            h.id, len(h.events),
            ', %d unparsed lines' % h.skipped if h.skipped else '',
            '' if h.complete else ', section truncated (no MORSEL-PERF-END)'))
        if h.policy:
            w('host %d: %s\n' % (h.id, h.policy))
    pairs = sorted({(r['taker'], r['owner']) for r in rows})
    if not pairs:
        w('no ownership transfer matched%s\n' % (
            ''.join('; %d %s' % (n, k) for k, n in sorted(why.items()))))
        return 1
    for c_key, c in sorted(clocks.items()):
        if c.gap is None:
            w('clocks host %d / host %d: no bound in one direction, cross-host '
              'stages not split\n' % c_key)
            continue
        w('clocks: t(host %d) = t(host %d) %+.6f s%s, from %d recall exchanges; '
          'causal band %.1f us wide%s\n' % (
              c.x, c.y, c.a / 1e9,
              ' (host %d runs %+.1f ppm fast)' % (c.y, -c.b * 1e6) if c.b else
              ' (constant)', len(c.lo), c.gap / 1e3,
              ' (INCONSISTENT: events lost or mispaired?)' if c.gap < 0 else
              ', so stages 2 and 5 are exact to +-%.1f us' % (c.gap / 2e3)))
    for taker, owner in pairs:
        rs = [r for r in rows if (r['taker'], r['owner']) == (taker, owner)]
        kern = hosts[taker].counters.get('transfers')
        setup = [h.setup for h in hosts.values() if h.setup]
        sends = [e.f['doorbell'] for e in hosts[taker].events
                 if e.name == 'morsel_msg_send' and e.f['type'] == RECALL_MSG
                 and e.f['dst'] == owner]
        reads = sum(1 for r in rs if not r['write'])
        granted = sum(r['granted'] for r in rs)
        w('\nownership transfers, host %d takes pages from host %d\n'
          'accelerator %s%s, %s\n%d transfers matched%s%s\n' % (
              taker, owner, accel or '?', ', ' + setup[0] if setup else '',
              'recalls by doorbell' if all(sends) else
              'recalls polled' if not any(sends) else
              '%d%% of the recalls by doorbell' % (100 * sum(sends) // len(sends)),
              len(rs),
              ' (%d of them read faults taking the page)' % reads if reads else '',
              '' if kern is None else
              ' (host %d counted %d transfers in all)' % (taker, kern)))
        if why:
            w('not matched: %s\n' % ', '.join('%d %s' % (n, k) for k, n in sorted(why.items())))
        w('%-46s %12s %12s\n' % ('stage', 'median (us)', 'p90 (us)'))

        def line(label, vals):
            w('%-46s %12.1f %12.1f\n' % (label, pct(vals, 0.5) / 1e3, pct(vals, 0.9) / 1e3))

        stages = len(STAGES) - (not any(r['marked'] for r in rs))
        for k in range(stages):
            line('%s (%s)' % STAGES[k], [r['stages'][k] for r in rs])
            if k == 2 and all(r['policy'] is not None for r in rs):
                line('  3a recall handled -> policy answered', [r['policy'] for r in rs])
                line('  3b policy answered -> write-back done',
                     [r['stages'][2] - r['policy'] for r in rs])
                line('     (deferral the policy asked for)', [r['defer'] for r in rs])
            if k == 4:
                line('  5a release -> answer seen (msg_ack)', [r['release_ack'] for r in rs])
                line('  5b answer seen -> entry acquired', [r['ack_acquire'] for r in rs])
        w('%-46s %12.1f\n' % ('  sum of the stage medians',
                              sum(pct([r['stages'][k] for r in rs], 0.5)
                                  for k in range(stages)) / 1e3))
        line('whole fault (taker, fault entry -> end)', [r['total'] for r in rs])
        line('2+5 cross-host, clock-free', [r['cross'] for r in rs])
        line('recall message round trip (msg_ack rtt)', [r['rtt'] for r in rs])
        if granted:
            w('%d more pages taken in these faults by the policy (stage 7)\n' % granted)
    return 0


def platform(run_dir, hosts):
    if run_dir:
        try:
            with open(os.path.join(run_dir, 'accel')) as f:
                return f.read().strip().upper()
        except OSError:
            pass
    for h in hosts.values():
        if h.accel:
            return h.accel.upper()
    return None


# --- self-test -------------------------------------------------------------
# Three hosts; host 1's clock reads 0.25 s more than host 0's, host 2's
# 0.1 s less. Between hosts 0 and 1, every recall arrives 10 us after it
# is sent and every answer 10 us after the owner's release, in both
# directions, so the fitted offset is exactly 0.25 s with no skew and the
# band is 20 us wide. Host 0 takes pages 0, 1 and 2 from host 1 (stages
# below), writes a fresh page 3 (no recall: not a transfer), takes page 4
# but host 1's side of it is missing (not matched), and takes page 5 in
# two rounds: host 1 took it back (its transfer 1:2) between its answer
# and host 0's acquire. Host 0 then writes page 7, which hosts 1 and 2
# read: one transfer, three hosts. Host 1 downgrades page 9 of object 1
# from host 0 (clock bounds only). Noise: a kernel message, CRs, a ping,
# and a doorbell interrupt.
SELFTEST_LOGS = {
    'host0.log': r"""MORSEL-JOB-BEGIN xfertrace host 0
MORSEL-PERF-COUNTERS host 0 transfers=5 writebacks=1
MORSEL-PERF-BEGIN host 0
   45 [000]     1.000000000:      morsel:morsel_msg_send: host 0 -> 1 type 1 seq 1 doorbell 1 xfer 0:0
    0 [000]     1.000050000:  morsel:morsel_doorbell_irq: host 0
   45 [000]     1.000060000:       morsel:morsel_msg_ack: host 0 -> 1 type 1 seq 1 result 0 rtt 60000 ns xfer 0:0
   45 [000]     1.001000000:   morsel:morsel_fault_enter: obj 0 page 0 host 0 write 1 xfer 0:1
   45 [000]     1.001020000:   morsel:morsel_recall_send: obj 0 page 0 host 0 -> 1 mode 1 xfer 0:1
   45 [000]     1.001022000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 2 doorbell 1 xfer 0:1
   45 [000]     1.001080000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 2 result 0 rtt 58000 ns xfer 0:1
   45 [000]     1.001085000:       morsel:morsel_acquire: obj 0 page 0 host 0 state 1 -> 2 readers 0 -> 0 seq 1 -> 2 xfer 0:1
   45 [000]     1.001090000:     morsel:morsel_shootdown: obj 0 page 0 host 0 xfer 0:1
   45 [000]     1.001100000:         morsel:morsel_fault: obj 0 page 0 host 0 write 1 result 0 duration 100000 ns xfer 0:1
   45 [000]     1.002000000:   morsel:morsel_fault_enter: obj 0 page 1 host 0 write 1 xfer 0:2
   45 [000]     1.002030000:   morsel:morsel_recall_send: obj 0 page 1 host 0 -> 1 mode 1 xfer 0:2
   45 [000]     1.002032000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 3 doorbell 1 xfer 0:2
[    1.002040] morsel: a kernel message in the middle of the trace
   45 [000]     1.002130000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 3 result 0 rtt 98000 ns xfer 0:2
   45 [000]     1.002150000:       morsel:morsel_acquire: obj 0 page 1 host 0 state 1 -> 2 readers 0 -> 0 seq 1 -> 2 xfer 0:2
   45 [000]     1.002200000:         morsel:morsel_fault: obj 0 page 1 host 0 write 1 result 0 duration 200000 ns xfer 0:2
   45 [000]     1.003000000:   morsel:morsel_fault_enter: obj 0 page 2 host 0 write 1 xfer 0:3
   45 [000]     1.003010000:   morsel:morsel_recall_send: obj 0 page 2 host 0 -> 1 mode 1 xfer 0:3
   45 [000]     1.003012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 4 doorbell 1 xfer 0:3
   45 [000]     1.003090000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 4 result 0 rtt 78000 ns xfer 0:3
   45 [000]     1.003100000:       morsel:morsel_acquire: obj 0 page 2 host 0 state 1 -> 2 readers 0 -> 0 seq 1 -> 2 xfer 0:3
   45 [000]     1.003110000:         morsel:morsel_policy: write_fault obj 0 page 2 answer 1 defer 0 us by bpf xfer 0:3
   45 [000]     1.003120000:       morsel:morsel_acquire: obj 0 page 6 host 0 state 0 -> 2 readers 0 -> 0 seq 0 -> 1 xfer 0:3
   45 [000]     1.003130000:         morsel:morsel_fault: obj 0 page 2 host 0 write 1 result 0 duration 130000 ns xfer 0:3
   45 [000]     1.004000000:   morsel:morsel_fault_enter: obj 0 page 3 host 0 write 1 xfer 0:4
   45 [000]     1.004010000:       morsel:morsel_acquire: obj 0 page 3 host 0 state 0 -> 2 readers 0 -> 0 seq 0 -> 1 xfer 0:4
   45 [000]     1.004020000:         morsel:morsel_fault: obj 0 page 3 host 0 write 1 result 0 duration 20000 ns xfer 0:4
   45 [000]     1.005000000:   morsel:morsel_fault_enter: obj 0 page 4 host 0 write 1 xfer 0:5
   45 [000]     1.005010000:   morsel:morsel_recall_send: obj 0 page 4 host 0 -> 1 mode 1 xfer 0:5
   45 [000]     1.005012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 5 doorbell 1 xfer 0:5
   45 [000]     1.005090000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 5 result 0 rtt 78000 ns xfer 0:5
   45 [000]     1.005100000:       morsel:morsel_acquire: obj 0 page 4 host 0 state 1 -> 2 readers 0 -> 0 seq 1 -> 2 xfer 0:5
   45 [000]     1.005130000:         morsel:morsel_fault: obj 0 page 4 host 0 write 1 result 0 duration 130000 ns xfer 0:5
   30 [000]     1.006020000: morsel:morsel_recall_handle: obj 1 page 9 host 1 -> 0 mode 0 seq 1 xfer 1:1
   30 [000]     1.006030000:     morsel:morsel_writeback: obj 1 page 9 host 0 duration 1000 ns xfer 1:1
   30 [000]     1.006040000:       morsel:morsel_release: obj 1 page 9 host 0 downgrade 1 seq 3 xfer 1:1
   30 [000]     1.006045000:    morsel:morsel_msg_handle: host 1 -> 0 type 3 seq 1 result 0 duration 30000 ns xfer 1:1
   45 [000]     1.007000000:   morsel:morsel_fault_enter: obj 0 page 5 host 0 write 1 xfer 0:6
   45 [000]     1.007010000:   morsel:morsel_recall_send: obj 0 page 5 host 0 -> 1 mode 1 xfer 0:6
   45 [000]     1.007012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 6 doorbell 1 xfer 0:6
   45 [000]     1.007060000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 6 result 0 rtt 48000 ns xfer 0:6
   45 [000]     1.007070000:   morsel:morsel_recall_send: obj 0 page 5 host 0 -> 1 mode 1 xfer 0:6
   45 [000]     1.007071000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 7 doorbell 1 xfer 0:6
   45 [000]     1.007100000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 7 result 0 rtt 29000 ns xfer 0:6
   45 [000]     1.007105000:       morsel:morsel_acquire: obj 0 page 5 host 0 state 1 -> 2 readers 0 -> 0 seq 3 -> 4 xfer 0:6
   45 [000]     1.007110000:         morsel:morsel_fault: obj 0 page 5 host 0 write 1 result 0 duration 110000 ns xfer 0:6
   45 [000]     1.008000000:   morsel:morsel_fault_enter: obj 0 page 7 host 0 write 1 xfer 0:7
   45 [000]     1.008010000:   morsel:morsel_recall_send: obj 0 page 7 host 0 -> 1 mode 2 xfer 0:7
   45 [000]     1.008011000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 8 doorbell 1 xfer 0:7
   45 [000]     1.008012000:   morsel:morsel_recall_send: obj 0 page 7 host 0 -> 2 mode 2 xfer 0:7
   45 [000]     1.008013000:      morsel:morsel_msg_send: host 0 -> 2 type 3 seq 1 doorbell 1 xfer 0:7
   45 [000]     1.008080000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 8 result 0 rtt 69000 ns xfer 0:7
   45 [000]     1.008090000:       morsel:morsel_msg_ack: host 0 -> 2 type 3 seq 1 result 0 rtt 77000 ns xfer 0:7
   45 [000]     1.008100000:       morsel:morsel_acquire: obj 0 page 7 host 0 state 3 -> 2 readers 0x6 -> 0 seq 1 -> 2 xfer 0:7
   45 [000]     1.008110000:         morsel:morsel_fault: obj 0 page 7 host 0 write 1 result 0 duration 110000 ns xfer 0:7
MORSEL-PERF-END host 0 rc=0
""",
    'host1.log': r"""MORSEL-JOB-BEGIN xfertrace host 1
MORSEL-PERF-BEGIN host 1
   30 [000]     1.250030000:    morsel:morsel_msg_handle: host 0 -> 1 type 1 seq 1 result 0 duration 200 ns xfer 0:0
   30 [000]     1.251030000: morsel:morsel_recall_handle: obj 0 page 0 host 0 -> 1 mode 1 seq 2 xfer 0:1
   30 [000]     1.251040000:     morsel:morsel_shootdown: obj 0 page 0 host 1 xfer 0:1
   30 [000]     1.251050000:     morsel:morsel_writeback: obj 0 page 0 host 1 duration 4000 ns xfer 0:1
   30 [000]     1.251070000:       morsel:morsel_release: obj 0 page 0 host 1 downgrade 0 seq 2 xfer 0:1
   30 [000]     1.251075000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 2 result 0 duration 50000 ns xfer 0:1
   30 [000]     1.252040000: morsel:morsel_recall_handle: obj 0 page 1 host 0 -> 1 mode 1 seq 3 xfer 0:2
   30 [000]     1.252080000:     morsel:morsel_writeback: obj 0 page 1 host 1 duration 4000 ns xfer 0:2
   30 [000]     1.252120000:       morsel:morsel_release: obj 0 page 1 host 1 downgrade 0 seq 2 xfer 0:2
   30 [000]     1.252125000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 3 result 0 duration 90000 ns xfer 0:2
   30 [000]     1.253020000: morsel:morsel_recall_handle: obj 0 page 2 host 0 -> 1 mode 1 seq 4 xfer 0:3
   30 [000]     1.253030000:         morsel:morsel_policy: recall obj 0 page 2 answer 0 defer 15 us by bpf xfer 0:3
   30 [000]     1.253050000:     morsel:morsel_writeback: obj 0 page 2 host 1 duration 4000 ns xfer 0:3
   30 [000]     1.253080000:       morsel:morsel_release: obj 0 page 2 host 1 downgrade 0 seq 2 xfer 0:3
   30 [000]     1.253085000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 4 result 0 duration 70000 ns xfer 0:3
   45 [000]     1.256000000:   morsel:morsel_fault_enter: obj 1 page 9 host 1 write 0 xfer 1:1
   45 [000]     1.256010000:   morsel:morsel_recall_send: obj 1 page 9 host 1 -> 0 mode 0 xfer 1:1
   45 [000]     1.256012000:      morsel:morsel_msg_send: host 1 -> 0 type 3 seq 1 doorbell 1 xfer 1:1
   45 [000]     1.256050000:       morsel:morsel_msg_ack: host 1 -> 0 type 3 seq 1 result 0 rtt 48000 ns xfer 1:1
   45 [000]     1.256055000:       morsel:morsel_acquire: obj 1 page 9 host 1 state 2 -> 1 readers 0x1 -> 0x3 seq 3 -> 3 xfer 1:1
   45 [000]     1.256060000:         morsel:morsel_fault: obj 1 page 9 host 1 write 0 result 0 duration 60000 ns xfer 1:1
   30 [000]     1.257020000: morsel:morsel_recall_handle: obj 0 page 5 host 0 -> 1 mode 1 seq 6 xfer 0:6
   30 [000]     1.257040000:     morsel:morsel_writeback: obj 0 page 5 host 1 duration 4000 ns xfer 0:6
   30 [000]     1.257050000:       morsel:morsel_release: obj 0 page 5 host 1 downgrade 0 seq 2 xfer 0:6
   30 [000]     1.257055000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 6 result 0 duration 35000 ns xfer 0:6
   46 [000]     1.257056000:   morsel:morsel_fault_enter: obj 0 page 5 host 1 write 1 xfer 1:2
   46 [000]     1.257058000:       morsel:morsel_acquire: obj 0 page 5 host 1 state 1 -> 2 readers 0 -> 0 seq 2 -> 3 xfer 1:2
   46 [000]     1.257059000:         morsel:morsel_fault: obj 0 page 5 host 1 write 1 result 0 duration 3000 ns xfer 1:2
   30 [000]     1.257080000: morsel:morsel_recall_handle: obj 0 page 5 host 0 -> 1 mode 1 seq 7 xfer 0:6
   30 [000]     1.257085000:     morsel:morsel_writeback: obj 0 page 5 host 1 duration 4000 ns xfer 0:6
   30 [000]     1.257090000:       morsel:morsel_release: obj 0 page 5 host 1 downgrade 0 seq 3 xfer 0:6
   30 [000]     1.257092000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 7 result 0 duration 12000 ns xfer 0:6
   30 [000]     1.258030000: morsel:morsel_recall_handle: obj 0 page 7 host 0 -> 1 mode 2 seq 8 xfer 0:7
   30 [000]     1.258035000:    morsel:morsel_invalidate: obj 0 page 7 host 1 xfer 0:7
   30 [000]     1.258040000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 8 result 0 duration 10000 ns xfer 0:7
MORSEL-PERF-END host 1 rc=0
""",
    'host2.log': r"""MORSEL-JOB-BEGIN xfertrace host 2
MORSEL-PERF-BEGIN host 2
   30 [000]     0.908050000: morsel:morsel_recall_handle: obj 0 page 7 host 0 -> 2 mode 2 seq 1 xfer 0:7
   30 [000]     0.908055000:    morsel:morsel_invalidate: obj 0 page 7 host 2 xfer 0:7
   30 [000]     0.908060000:    morsel:morsel_msg_handle: host 0 -> 2 type 3 seq 1 result 0 duration 10000 ns xfer 0:7
MORSEL-PERF-END host 2 rc=0
""",
}
# Expected stages in us, per page: 1..7, then whole fault and 2+5. Page 2
# has the policy's events: mapped at +10 us, one more page granted, the
# owner's policy answered 10 us into the recall (and asked for 15 us).
SELFTEST_EXPECT = {
    0: [20, 10, 20, 20, 15, 15, 0, 100, 25],
    1: [30, 10, 40, 40, 30, 50, 0, 200, 40],
    2: [10, 10, 30, 30, 20, 10, 20, 130, 30],
}


def drift_logs(n=200, ppm=100.0):
    """A longer run whose clocks drift apart: host 1's clock runs `ppm` fast
    and starts 0.25 s ahead, far more over 2 s than the band's width, so a
    constant offset cannot fit. One-way trips take 10 us plus a
    pseudo-random extra, none on every tenth transfer; the owner's policy
    answers every recall 1 us in. Returns the two logs and the true
    recall-sent -> handled and release -> acquired (ns)."""
    def stamp(t):
        t = int(round(t))
        return '%d.%09d' % (t // 1000000000, t % 1000000000)

    def line(tid, t, ev, text):
        return '%5d [000] %15s: %28s: %s xfer 0:%d' % (tid, stamp(t), 'morsel:' + ev, text,
                                                       i + 1)

    def h1(t):
        return t * (1 + ppm * 1e-6) + 0.25e9

    logs, truth, seed = {0: [], 1: []}, {}, 1
    for i in range(n):
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        ex1, ex2 = (0, 0) if i % 10 == 0 else (seed % 40000, seed // 40000 % 30000)
        f0 = 1e9 + i * 1e7
        rs, rh = f0 + 5000, f0 + 5000 + 10000 + ex1
        wb, rel = rh + 20000, rh + 25000
        ack = rel + 10000 + ex2
        acq, f1 = ack + 3000, ack + 10000
        truth[i] = (rh - rs, acq - rel)
        logs[0] += [
            line(45, f0, 'morsel_fault_enter', 'obj 0 page %d host 0 write 1' % i),
            line(45, rs, 'morsel_recall_send', 'obj 0 page %d host 0 -> 1 mode 1' % i),
            line(45, rs + 1000, 'morsel_msg_send', 'host 0 -> 1 type 3 seq %d doorbell 1' % i),
            line(45, ack, 'morsel_msg_ack', 'host 0 -> 1 type 3 seq %d result 0 rtt %d ns'
                 % (i, ack - rs - 1000)),
            line(45, acq, 'morsel_acquire',
                 'obj 0 page %d host 0 state 1 -> 2 readers 0 -> 0' % i),
            line(45, f1, 'morsel_fault',
                 'obj 0 page %d host 0 write 1 result 0 duration %d ns' % (i, f1 - f0))]
        logs[1] += [
            line(30, h1(rh), 'morsel_recall_handle',
                 'obj 0 page %d host 0 -> 1 mode 1 seq %d' % (i, i)),
            line(30, h1(rh) + 1000, 'morsel_policy',
                 'recall obj 0 page %d answer 0 defer 0 us by default' % i),
            line(30, h1(wb), 'morsel_writeback', 'obj 0 page %d host 1 duration 900 ns' % i),
            line(30, h1(rel), 'morsel_release', 'obj 0 page %d host 1 downgrade 0' % i),
            line(30, h1(rel) + 2000, 'morsel_msg_handle',
                 'host 0 -> 1 type 3 seq %d result 0 duration 30000 ns' % i)]
    return ({'host%d.log' % h: 'MORSEL-PERF-BEGIN host %d\n%s\nMORSEL-PERF-END\n'
             % (h, '\n'.join(v)) for h, v in logs.items()}, truth)


def selftest():
    bad = []
    # Drifting clocks: the skew is found and the split stays within 1 us.
    logs, truth = drift_logs()
    hosts = {h.id: h for h in (parse_log(n, t) for n, t in logs.items())}
    _, clocks, rows, why = analyse(hosts)
    c = clocks.get((0, 1))
    if not c or c.gap0 >= 0 or abs(c.b * 1e6 + 100) > 1 or len(rows) != len(truth):
        bad.append('drift: skew %s ppm (want -100), %d of %d transfers, %s'
                   % (c and c.b * 1e6, len(rows), len(truth), why))
    buf = io.StringIO()
    report(hosts, clocks, rows, why, 'SELFTEST', buf)
    if '3a recall handled -> policy answered' not in buf.getvalue():
        bad.append('drift: no policy split of stage 3 in\n' + buf.getvalue())
    for r in rows:
        want = truth[r['page']]
        if abs(r['stages'][1] - want[0]) > 1000 or abs(r['stages'][4] - want[1]) > 1000:
            bad.append('drift: page %d: stages 2, 5 = %.0f, %.0f ns, want %d, %d'
                       % (r['page'], r['stages'][1], r['stages'][4], want[0], want[1]))
            break

    # The embedded trace: exact stages, with console noise.
    hosts = {}
    for name, text in SELFTEST_LOGS.items():
        h = parse_log(name, text.replace('\n', '\r\n'))
        hosts[h.id] = h
    exchanges, clocks, rows, why = analyse(hosts)
    c = clocks.get((0, 1))
    if not c or abs(c.a + 0.25e9) > 1 or c.b != 0 or abs(c.gap - 20000) > 1:
        bad.append('clock fit: offset %s skew %s band %s (want -0.25 s, 0, 20 us)'
                   % (c and c.a, c and c.b, c and c.gap))
    got = {r['page']: [round(s / 1e3, 3) for s in r['stages']] +
           [r['total'] / 1e3, r['cross'] / 1e3] for r in rows}
    if got != SELFTEST_EXPECT:
        bad.append('stages: got %s, want %s' % (got, SELFTEST_EXPECT))
    pol = {r['page']: (r['policy'], r['defer'], r['granted']) for r in rows}
    if pol != {0: (None, None, 0), 1: (None, None, 0), 2: (10000, 15000, 1)}:
        bad.append('policy events: got %s' % pol)
    if why != {'recall not found on the owner': 1,
               'more than one recall round (see the timelines)': 1}:
        bad.append('unmatched: got %s' % why)
    for r in rows:
        if abs(sum(r['stages']) - r['total']) > 1:
            bad.append('page %d: stages do not add up to the fault' % r['page'])

    # Joined by transfer id: the three-host write of page 7 in causal
    # order on host 0's clock, and the competing acquire that made page 5
    # take a second round between that round's answer and the next recall.
    tls = {tl[1]: tl for tl in timelines(hosts, clocks)}
    spans = sorted((xid, sorted({r[2] for r in tl[2]})) for xid, tl in tls.items())
    want = [((0, 1), [0, 1]), ((0, 2), [0, 1]), ((0, 3), [0, 1]), ((0, 5), [0]),
            ((0, 6), [0, 1]), ((0, 7), [0, 1, 2]), ((1, 1), [0, 1])]
    if spans != want:
        bad.append('timelines: hosts per transfer %s, want %s' % (spans, want))
    # (host, event, the host asked: on the taker only)
    order = [(r[2], r[3].name, r[3].f.get('dst') if r[2] == 0 else None)
             for r in tls[(0, 7)][2]]
    pos = {k: i for i, k in enumerate(order)}
    for before, after in [((0, 'morsel_recall_send', 2), (2, 'morsel_recall_handle', None)),
                          ((2, 'morsel_recall_handle', None), (2, 'morsel_msg_handle', None)),
                          ((2, 'morsel_msg_handle', None), (0, 'morsel_msg_ack', 2)),
                          ((1, 'morsel_msg_handle', None), (0, 'morsel_msg_ack', 1))]:
        if before not in pos or after not in pos or pos[before] > pos[after]:
            bad.append('timeline 0:7: %s not before %s in %s' % (before, after, order))
    steal = [i for i, r in enumerate(tls[(0, 6)][2]) if r[3].x == (1, 2)]
    sends = [i for i, r in enumerate(tls[(0, 6)][2]) if r[3].name == 'morsel_recall_send']
    if len(steal) != 1 or len(sends) != 2 or not sends[0] < steal[0] < sends[1]:
        bad.append('timeline 0:6: host 1\'s acquire (transfer 1:2) not between the rounds')
    buf = io.StringIO()
    report_joined(exchanges, list(tls.values()), why, buf)
    if 'transfer 0:7, hosts 0 1 2' not in buf.getvalue() or \
            ', 0 naming different transfers' not in buf.getvalue():
        bad.append('joined report:\n' + buf.getvalue())

    # A recall whose two sides name different transfers is reported.
    text = SELFTEST_LOGS['host1.log'].replace('seq 3 xfer 0:2', 'seq 3 xfer 0:9')
    mixed = dict(hosts)
    mixed[1] = parse_log('host1.log', text)
    _, _, _, why2 = analyse(mixed)
    buf = io.StringIO()
    report_joined(exchanges, [], why2, buf)
    if why2.get(MISMATCH) != 1 or ', 1 naming different' not in buf.getvalue():
        bad.append('a mismatched transfer id was not reported: %s' % why2)
    report(hosts, clocks, rows, why, 'SELFTEST')
    print()
    report_joined(exchanges, list(tls.values()), why)
    for b in bad:
        print('selftest: FAIL: ' + b)
    print('selftest: %s' % ('FAIL' if bad else 'ok'))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('paths', nargs='*', help='run directory, or host serial logs')
    ap.add_argument('--csv', help='also write one row per transfer to this file')
    ap.add_argument('--timeline', metavar='FILE',
                    help='write every fault that sent recalls, all hosts joined, to FILE')
    ap.add_argument('--selftest', action='store_true')
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if not args.paths:
        ap.error('a run directory or host logs')
    run_dir = None
    paths = args.paths
    if len(paths) == 1 and os.path.isdir(paths[0]):
        run_dir = paths[0]
        paths = sorted(os.path.join(run_dir, f) for f in os.listdir(run_dir)
                       if re.fullmatch(r'host\d+\.log', f))
    hosts = load(paths)
    if not hosts:
        print('no perf trace in %s' % ' '.join(args.paths), file=sys.stderr)
        return 1
    exchanges, clocks, rows, why = analyse(hosts)
    rc = report(hosts, clocks, rows, why, platform(run_dir, hosts))
    tls = timelines(hosts, clocks)
    print()
    report_joined(exchanges, tls, why)
    if args.timeline:
        with open(args.timeline, 'w') as f:
            for tl in tls:
                write_timeline(tl, f)
    if args.csv:
        with open(args.csv, 'w') as f:
            f.write('taker,owner,obj,page,seq,xfer,start_ns,%s,total_ns,cross_ns,rtt_ns\n' %
                    ','.join('stage%d_ns' % (k + 1) for k in range(len(STAGES))))
            for r in sorted(rows, key=lambda r: r['start']):
                f.write('%d,%d,%d,%d,%d,%d:%d,%d,%s,%d,%d,%d\n' % (
                    r['taker'], r['owner'], r['obj'], r['page'], r['seq'], *r['xfer'], r['start'],
                    ','.join('%.0f' % s for s in r['stages']),
                    r['total'], r['cross'], r['rtt']))
    return rc


if __name__ == '__main__':
    sys.exit(main())
