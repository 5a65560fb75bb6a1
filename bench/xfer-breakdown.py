#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-transfer latency breakdown of page ownership transfers, from perf.

    xfer-breakdown.py RUN_DIR            (hostN.log from scripts/hosts.sh -o)
    xfer-breakdown.py host0.log host1.log ...
    xfer-breakdown.py --csv FILE RUN_DIR (also one row per transfer)
    xfer-breakdown.py --selftest

Input: the guest job xfertrace (bench/guest/xfertrace.sh) prints each host's
`perf script` output of morsel:* between MORSEL-PERF-BEGIN and
MORSEL-PERF-END on its serial console.

A transfer is a fault on the taker (a write fault, or a read fault that a
policy lets take the page) that recalls the page from its exclusive owner
(recall mode INVALIDATE); its time is split into stages, each between two
tracepoints:

  1 fault entry -> recall sent          taker   morsel_fault - duration,
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

morsel_fault fires at the fault's end with its duration; the guests record
with -k monotonic so that the timestamps and the durations (ktime_get_ns())
are one clock. The duration is computed before the tracepoint runs and perf
stamps the event inside it, so a vCPU stalled in between (TCG on a busy
machine: up to 200 us seen) makes the stamp late: the fault's start is the
one use of a duration here; chaining and clock bounds use stamps only.

Two guests, two clocks. Stages 1, 3, 4, 6 and 7 are differences on one host
and need no alignment; so is 2+5 (the taker's recall-sent -> acquire minus
the owner's handled -> release). To split 2+5, the owner's clock is mapped
onto the taker's from causality alone: for every recall exchange (either
direction, matched across hosts by its message sequence number, from
morsel_msg_send on the requester and morsel_msg_handle on the handler)

  recall_send (requester) < recall_handle (handler)      lower bound
  last handler event before the answer < msg_ack (req.)  upper bound

on the offset between the two clocks (every stamp is taken in program
order, so these hold whatever the delays). The offset is the middle of the
band that every bound allows, which assumes the fastest one-way trips are
equally fast both ways; if no constant offset fits (the guests calibrate
their TSCs separately, a few ppm apart, which shows over long runs), a line
offset + skew * t with the largest margin. The band's width is printed:
stages 2 and 5 are exact to within half of it, their sum exactly.

Only same-thread events are chained (tid from perf script), so that other
faults or recalls in flight cannot be mistaken for this transfer's.
"""
import argparse
import bisect
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

# The TP_printk formats of include/trace/events/morsel.h.
_N = r'(-?\d+)'
FORMATS = {
    'morsel_msg_send': (r'host %N -> %N type %N seq %N doorbell %N',
                        'src dst type seq doorbell'),
    'morsel_msg_handle': (r'host %N -> %N type %N seq %N result %N duration %N ns',
                          'src dst type seq result ns'),
    'morsel_msg_ack': (r'host %N -> %N type %N seq %N result %N rtt %N ns',
                       'src dst type seq result ns'),
    'morsel_fault': (r'obj %N page %N host %N write %N result %N duration %N ns',
                     'obj page host write result ns'),
    'morsel_acquire': (r'obj %N page %N host %N state %N -> %N',
                       'obj page host old new'),
    'morsel_release': (r'obj %N page %N host %N downgrade %N',
                       'obj page host downgrade'),
    'morsel_recall_send': (r'obj %N page %N host %N -> %N mode %N',
                           'obj page src dst mode'),
    'morsel_recall_handle': (r'obj %N page %N host %N -> %N mode %N',
                             'obj page src dst mode'),
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
    __slots__ = ('t', 'tid', 'name', 'f')

    def __init__(self, t, tid, name, f):
        self.t, self.tid, self.name, self.f = t, tid, name, f

    def __repr__(self):
        return '%d %s %s %s' % (self.t, self.tid, self.name, self.f)


class Host:
    """One host's trace: its events in time order and its counters."""

    def __init__(self, hid, source):
        self.id, self.source = hid, source
        self.events = []
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
    fmt = FORMATS.get(name)
    if fmt is None:
        return Event(parse_ts(sec, frac), tid and int(tid), name, {})
    fm = fmt[0].match(text)
    if not fm:
        return False
    return Event(parse_ts(sec, frac), tid and int(tid), name,
                 {k: int(v) if v.lstrip('-').isdigit() else v
                  for k, v in zip(fmt[1], fm.groups())})


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
        self.send = None      # recall_send on the requester
        self.ack = None       # msg_ack on the requester
        self.handle = None    # recall_handle on the handler
        self.owner = []       # handler events between handle and msg_handle
        self.done = None      # msg_handle on the handler

    def complete(self):
        return self.send and self.ack and self.handle and self.done

    def last_before_answer(self):
        """The handler's latest event before it completed the slot. Not
        msg_handle, which fires after the completion, and not its start
        (msg_handle - duration): a stamp late by a vCPU stall moves it."""
        return max([self.handle.t] + [e.t for e in self.owner])


def link_exchanges(hosts):
    """Recall messages keyed (requester, handler, seq), both sides filled."""
    ex = {}

    def get(req, dst, seq):
        return ex.setdefault((req, dst, seq), Exchange(req, dst, seq))

    for h in hosts.values():
        # The requester: recall_send then, in the same thread, the msg_send
        # of the request; the msg_ack with that seq is its answer.
        pending = {}
        handling = {}
        for e in h.events:
            n, f = e.name, e.f
            if n == 'morsel_recall_send' and f['src'] == h.id:
                pending[(e.tid, f['dst'])] = e
            elif n == 'morsel_msg_send' and f['type'] == RECALL_MSG and f['src'] == h.id:
                rs = pending.pop((e.tid, f['dst']), None)
                if rs:
                    get(h.id, f['dst'], f['seq']).send = rs
            elif n == 'morsel_msg_ack' and f['type'] == RECALL_MSG and f['src'] == h.id:
                x = ex.get((h.id, f['dst'], f['seq']))
                if x:
                    x.ack = e
            # The handler: recall_handle, the owner's work on that page in
            # the same thread, then msg_handle with the request's seq.
            elif n == 'morsel_recall_handle' and f['dst'] == h.id:
                handling[e.tid] = (e, [])
            elif n in ('morsel_shootdown', 'morsel_writeback', 'morsel_invalidate',
                       'morsel_release', 'morsel_policy') and e.tid in handling:
                rh, work = handling[e.tid]
                if (f['obj'], f['page']) == (rh.f['obj'], rh.f['page']):
                    work.append(e)
            elif n == 'morsel_msg_handle' and f['type'] == RECALL_MSG and f['dst'] == h.id:
                # One morsel-rx thread handles one request at a time, so
                # the thread alone ties them (not the duration: recall_handle
                # was seen before msg_handle - duration, by a late stamp).
                rh, work = handling.pop(e.tid, (None, []))
                if rh and rh.f['src'] == f['src']:
                    x = get(f['src'], h.id, f['seq'])
                    x.handle, x.owner, x.done = rh, work, e
    return ex


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


def transfers(hosts, exchanges, clocks):
    """Every fault that recalled its page from an exclusive owner."""
    by_send = {(x.send.t, x.req, x.send.tid): x for x in exchanges.values() if x.send}
    rows, why = [], {}

    def miss(reason):
        why[reason] = why.get(reason, 0) + 1

    for h in hosts.values():
        per_tid = {}
        for e in h.events:
            per_tid.setdefault(e.tid, []).append(e)
        stamps = {tid: [e.t for e in evs] for tid, evs in per_tid.items()}
        prev_end = {}
        for e in h.events:
            f = e.f
            if e.name != 'morsel_fault' or f['host'] != h.id:
                continue
            # The fault's events: this thread's since its previous fault.
            # Not since "end - duration", which a late stamp moves past
            # the recall (stage 1 is a few us).
            start = prev_end.get(e.tid)
            prev_end[e.tid] = e.t
            evs, ts = per_tid[e.tid], stamps[e.tid]
            f0 = e.t - f['ns']
            i = bisect.bisect_right(ts, start) if start is not None else 0
            j = bisect.bisect_right(ts, e.t)
            page = (f['obj'], f['page'])
            fault = evs[i:j]
            win = [w for w in fault if w is not e and
                   (w.f.get('obj'), w.f.get('page')) == page]
            sends = [w for w in win if w.name == 'morsel_recall_send']
            # A read fault takes the page too when a policy says so.
            if not any(w.f['mode'] == MODE_INVALIDATE for w in sends):
                continue        # fresh page, own page, or readers only
            if f['result'] != 0:
                miss('fault failed')
                continue
            if len(sends) != 1:
                miss('more than one recall in the fault (retried)')
                continue
            rs = sends[0]
            acq = [w for w in win if w.name == 'morsel_acquire' and w.t >= rs.t]
            x = by_send.get((rs.t, h.id, rs.tid))
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
            c = clocks.get((min(h.id, x.dst), max(h.id, x.dst)))
            if not c or c.gap is None:
                miss('owner clock not aligned')
                continue
            if rs.t < f0:
                # The fault's end was stamped after a stall that its
                # duration does not hold: its start is unknown.
                miss('fault-end stamp late (recall before fault start)')
                continue
            acq = acq[0]
            # With an ownership policy, a write fault asks it for more pages
            # once its own is mapped (morsel_policy write_fault): that ends
            # stage 6; the pages taken after it (the grant) are stage 7.
            mapped = next((w for w in win if w.name == 'morsel_policy' and
                           w.f['hook'] == 'write_fault' and w.t >= acq.t), e)
            granted = sum(1 for w in fault if w.name == 'morsel_acquire' and
                          w.f['obj'] == page[0] and w.f['page'] != page[1] and
                          w.t >= mapped.t)
            # The owner's policy may defer its answer (morsel_policy recall).
            pol = next((w for w in x.owner if w.name == 'morsel_policy' and
                        w.f['hook'] == 'recall'), None)
            rh_t = c.to(h.id, x.handle.t, x.dst)
            rel_t = c.to(h.id, rel.t, x.dst)
            rows.append({
                'taker': h.id, 'owner': x.dst, 'obj': page[0], 'page': page[1],
                'write': f['write'], 'seq': x.seq, 'start': f0,
                'stages': [rs.t - f0, rh_t - rs.t, wb.t - x.handle.t,
                           rel.t - wb.t, acq.t - rel_t, mapped.t - acq.t,
                           e.t - mapped.t],
                'release_ack': x.ack.t - rel_t, 'ack_acquire': acq.t - x.ack.t,
                'policy': pol and pol.t - x.handle.t,
                'defer': pol and pol.f['defer'] * 1000,
                'granted': granted, 'marked': mapped is not e,
                'total': f['ns'],
                'cross': (acq.t - rs.t) - (rel.t - x.handle.t),
                'rtt': x.ack.f['ns'],
            })
    return rows, why


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
    exchanges = link_exchanges(hosts)
    clocks = clocks_for(exchanges)
    rows, why = transfers(hosts, exchanges, clocks)
    return exchanges, clocks, rows, why


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
        line('whole fault (taker, morsel_fault duration)', [r['total'] for r in rs])
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
# Two hosts; host 1's clock reads 0.25 s more than host 0's. Every recall
# arrives 10 us after it is sent and every answer 10 us after the owner's
# release, in both directions, so the fitted offset is exactly 0.25 s with
# no skew and the band is 20 us wide. Host 0 takes pages 0, 1 and 2 from
# host 1 (stages below), writes a fresh page 3 (no recall: not a transfer),
# takes page 4 but host 1's side of it is missing (not matched), takes page
# 5 with a fault-end stamp later than its duration allows (not matched);
# host 1 downgrades page 9 of object 1 from host 0 (clock bounds only).
# Noise: a kernel message, CRs, a ping, and a doorbell interrupt.
SELFTEST_LOGS = {
    'host0.log': r"""MORSEL-JOB-BEGIN xfertrace host 0
MORSEL-PERF-COUNTERS host 0 transfers=5 writebacks=1
MORSEL-PERF-BEGIN host 0
   45 [000]     1.000000000:      morsel:morsel_msg_send: host 0 -> 1 type 1 seq 1 doorbell 1
    0 [000]     1.000050000:  morsel:morsel_doorbell_irq: host 0
   45 [000]     1.000060000:       morsel:morsel_msg_ack: host 0 -> 1 type 1 seq 1 result 0 rtt 60000 ns
   45 [000]     1.001020000:   morsel:morsel_recall_send: obj 0 page 0 host 0 -> 1 mode 1
   45 [000]     1.001022000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 2 doorbell 1
   45 [000]     1.001080000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 2 result 0 rtt 58000 ns
   45 [000]     1.001085000:       morsel:morsel_acquire: obj 0 page 0 host 0 state 1 -> 2 readers 0 -> 0
   45 [000]     1.001090000:     morsel:morsel_shootdown: obj 0 page 0 host 0
   45 [000]     1.001100000:         morsel:morsel_fault: obj 0 page 0 host 0 write 1 result 0 duration 100000 ns
   45 [000]     1.002030000:   morsel:morsel_recall_send: obj 0 page 1 host 0 -> 1 mode 1
   45 [000]     1.002032000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 3 doorbell 1
[    1.002040] morsel: a kernel message in the middle of the trace
   45 [000]     1.002130000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 3 result 0 rtt 98000 ns
   45 [000]     1.002150000:       morsel:morsel_acquire: obj 0 page 1 host 0 state 1 -> 2 readers 0 -> 0
   45 [000]     1.002200000:         morsel:morsel_fault: obj 0 page 1 host 0 write 1 result 0 duration 200000 ns
   45 [000]     1.003010000:   morsel:morsel_recall_send: obj 0 page 2 host 0 -> 1 mode 1
   45 [000]     1.003012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 4 doorbell 1
   45 [000]     1.003090000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 4 result 0 rtt 78000 ns
   45 [000]     1.003100000:       morsel:morsel_acquire: obj 0 page 2 host 0 state 1 -> 2 readers 0 -> 0
   45 [000]     1.003110000:         morsel:morsel_policy: write_fault obj 0 page 2 answer 1 defer 0 us by bpf
   45 [000]     1.003120000:       morsel:morsel_acquire: obj 0 page 6 host 0 state 0 -> 2 readers 0 -> 0
   45 [000]     1.003130000:         morsel:morsel_fault: obj 0 page 2 host 0 write 1 result 0 duration 130000 ns
   45 [000]     1.004010000:       morsel:morsel_acquire: obj 0 page 3 host 0 state 0 -> 2 readers 0 -> 0
   45 [000]     1.004020000:         morsel:morsel_fault: obj 0 page 3 host 0 write 1 result 0 duration 20000 ns
   45 [000]     1.005010000:   morsel:morsel_recall_send: obj 0 page 4 host 0 -> 1 mode 1
   45 [000]     1.005012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 5 doorbell 1
   45 [000]     1.005090000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 5 result 0 rtt 78000 ns
   45 [000]     1.005100000:       morsel:morsel_acquire: obj 0 page 4 host 0 state 1 -> 2 readers 0 -> 0
   45 [000]     1.005130000:         morsel:morsel_fault: obj 0 page 4 host 0 write 1 result 0 duration 130000 ns
   30 [000]     1.006020000: morsel:morsel_recall_handle: obj 1 page 9 host 1 -> 0 mode 0
   30 [000]     1.006030000:     morsel:morsel_writeback: obj 1 page 9 host 0 duration 1000 ns
   30 [000]     1.006040000:       morsel:morsel_release: obj 1 page 9 host 0 downgrade 1
   30 [000]     1.006045000:    morsel:morsel_msg_handle: host 1 -> 0 type 3 seq 1 result 0 duration 30000 ns
   45 [000]     1.007010000:   morsel:morsel_recall_send: obj 0 page 5 host 0 -> 1 mode 1
   45 [000]     1.007012000:      morsel:morsel_msg_send: host 0 -> 1 type 3 seq 6 doorbell 1
   45 [000]     1.007090000:       morsel:morsel_msg_ack: host 0 -> 1 type 3 seq 6 result 0 rtt 78000 ns
   45 [000]     1.007100000:       morsel:morsel_acquire: obj 0 page 5 host 0 state 1 -> 2 readers 0 -> 0
   45 [000]     1.007130000:         morsel:morsel_fault: obj 0 page 5 host 0 write 1 result 0 duration 100000 ns
MORSEL-PERF-END host 0 rc=0
""",
    'host1.log': r"""MORSEL-JOB-BEGIN xfertrace host 1
MORSEL-PERF-BEGIN host 1
   30 [000]     1.250030000:    morsel:morsel_msg_handle: host 0 -> 1 type 1 seq 1 result 0 duration 200 ns
   30 [000]     1.251030000: morsel:morsel_recall_handle: obj 0 page 0 host 0 -> 1 mode 1
   30 [000]     1.251040000:     morsel:morsel_shootdown: obj 0 page 0 host 1
   30 [000]     1.251050000:     morsel:morsel_writeback: obj 0 page 0 host 1 duration 4000 ns
   30 [000]     1.251070000:       morsel:morsel_release: obj 0 page 0 host 1 downgrade 0
   30 [000]     1.251075000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 2 result 0 duration 50000 ns
   30 [000]     1.252040000: morsel:morsel_recall_handle: obj 0 page 1 host 0 -> 1 mode 1
   30 [000]     1.252080000:     morsel:morsel_writeback: obj 0 page 1 host 1 duration 4000 ns
   30 [000]     1.252120000:       morsel:morsel_release: obj 0 page 1 host 1 downgrade 0
   30 [000]     1.252125000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 3 result 0 duration 90000 ns
   30 [000]     1.253020000: morsel:morsel_recall_handle: obj 0 page 2 host 0 -> 1 mode 1
   30 [000]     1.253030000:         morsel:morsel_policy: recall obj 0 page 2 answer 0 defer 15 us by bpf
   30 [000]     1.253050000:     morsel:morsel_writeback: obj 0 page 2 host 1 duration 4000 ns
   30 [000]     1.253080000:       morsel:morsel_release: obj 0 page 2 host 1 downgrade 0
   30 [000]     1.253085000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 4 result 0 duration 70000 ns
   45 [000]     1.256010000:   morsel:morsel_recall_send: obj 1 page 9 host 1 -> 0 mode 0
   45 [000]     1.256012000:      morsel:morsel_msg_send: host 1 -> 0 type 3 seq 1 doorbell 1
   45 [000]     1.256050000:       morsel:morsel_msg_ack: host 1 -> 0 type 3 seq 1 result 0 rtt 48000 ns
   30 [000]     1.257020000: morsel:morsel_recall_handle: obj 0 page 5 host 0 -> 1 mode 1
   30 [000]     1.257050000:     morsel:morsel_writeback: obj 0 page 5 host 1 duration 4000 ns
   30 [000]     1.257080000:       morsel:morsel_release: obj 0 page 5 host 1 downgrade 0
   30 [000]     1.257085000:    morsel:morsel_msg_handle: host 0 -> 1 type 3 seq 6 result 0 duration 70000 ns
MORSEL-PERF-END host 1 rc=0
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
        return '%5d [000] %15s: %28s: %s' % (tid, stamp(t), 'morsel:' + ev, text)

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
            line(45, rs, 'morsel_recall_send', 'obj 0 page %d host 0 -> 1 mode 1' % i),
            line(45, rs + 1000, 'morsel_msg_send', 'host 0 -> 1 type 3 seq %d doorbell 1' % i),
            line(45, ack, 'morsel_msg_ack', 'host 0 -> 1 type 3 seq %d result 0 rtt %d ns'
                 % (i, ack - rs - 1000)),
            line(45, acq, 'morsel_acquire',
                 'obj 0 page %d host 0 state 1 -> 2 readers 0 -> 0' % i),
            line(45, f1, 'morsel_fault',
                 'obj 0 page %d host 0 write 1 result 0 duration %d ns' % (i, f1 - f0))]
        logs[1] += [
            line(30, h1(rh), 'morsel_recall_handle', 'obj 0 page %d host 0 -> 1 mode 1' % i),
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
               'fault-end stamp late (recall before fault start)': 1}:
        bad.append('unmatched: got %s' % why)
    for r in rows:
        if abs(sum(r['stages']) - r['total']) > 1:
            bad.append('page %d: stages do not add up to the fault' % r['page'])
    report(hosts, clocks, rows, why, 'SELFTEST')
    for b in bad:
        print('selftest: FAIL: ' + b)
    print('selftest: %s' % ('FAIL' if bad else 'ok'))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('paths', nargs='*', help='run directory, or host serial logs')
    ap.add_argument('--csv', help='also write one row per transfer to this file')
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
    if args.csv:
        with open(args.csv, 'w') as f:
            f.write('taker,owner,obj,page,seq,start_ns,%s,total_ns,cross_ns,rtt_ns\n' %
                    ','.join('stage%d_ns' % (k + 1) for k in range(len(STAGES))))
            for r in sorted(rows, key=lambda r: r['start']):
                f.write('%d,%d,%d,%d,%d,%d,%s,%d,%d,%d\n' % (
                    r['taker'], r['owner'], r['obj'], r['page'], r['seq'], r['start'],
                    ','.join('%.0f' % s for s in r['stages']),
                    r['total'], r['cross'], r['rtt']))
    return rc


if __name__ == '__main__':
    sys.exit(main())
