//! A channel's queues: per-bank queues behind a transaction queue, each bank's next candidate
//! command (row hits first, within the row-hit cap), rank readiness, and taking an access out.

use super::*;

impl Channel {
    /// Adds an access to its bank's queue.
    pub(super) fn enqueue(&mut self, e: Entry) {
        let bi = e.bank as usize;
        if self.bank_queues[bi].is_empty() {
            self.active.push(e.bank);
        }
        if self.banks[bi].open_row == e.addr.row {
            self.banks[bi].hits_queued += 1;
        }
        self.bank_queues[bi].push_back(e);
        self.n_queued += 1;
        self.writes_in_window += e.is_write as usize;
        self.banks[bi].cand_valid = false;
        self.when_lb[bi] = 0;
    }

    /// Bank `bi`'s candidate, recomputed if stale.
    #[inline(always)]
    pub(super) fn cand(&mut self, bi: usize) -> Cand {
        let b = &self.banks[bi];
        if b.cand_valid {
            return b.cand;
        }
        let q = &self.bank_queues[bi];
        let cand = if q.is_empty() {
            Cand {
                kind: CandKind::None,
                seq: 0,
                bank_ready: 0,
            }
        } else if b.hits_queued > 0
            && (self.row_hit_cap == 0
                || b.row_hits < self.row_hit_cap
                || q[0].addr.row == b.open_row)
        {
            let i = q
                .iter()
                .position(|e| e.addr.row == b.open_row)
                .expect("hits_queued counts queued hits");
            let e = q[i];
            let bank_ready = if e.is_write { b.next_wr } else { b.next_rd };
            Cand {
                kind: CandKind::Col {
                    idx: i as u32,
                    write: e.is_write,
                },
                seq: e.seq,
                bank_ready,
            }
        } else if b.open_row == NO_ROW {
            Cand {
                kind: CandKind::Act,
                seq: q[0].seq,
                bank_ready: b.next_act,
            }
        } else {
            Cand {
                kind: CandKind::Pre,
                seq: q[0].seq,
                bank_ready: b.next_pre,
            }
        };
        let b = &mut self.banks[bi];
        b.cand = cand;
        b.cand_valid = true;
        cand
    }

    /// The earliest cycle bank `bi`'s candidate can issue, and the candidate.
    #[inline(always)]
    pub(super) fn cand_when(&mut self, bi: usize) -> (u64, Cand) {
        let cand = self.cand(bi);
        let b = &self.banks[bi];
        let g = &self.groups[b.group as usize];
        let r = &self.rank_ready[b.rank as usize];
        let when = match cand.kind {
            CandKind::None => u64::MAX,
            CandKind::Col { write: false, .. } => cand.bank_ready.max(g.next_rd).max(r.rd),
            CandKind::Col { write: true, .. } => cand.bank_ready.max(g.next_wr).max(r.wr),
            CandKind::Act => cand.bank_ready.max(g.next_act).max(r.act),
            CandKind::Pre => cand.bank_ready,
        };
        let when = when.max(self.next_cmd);
        self.when_lb[bi] = when;
        (when, cand)
    }

    /// Recomputes the per-rank readiness used by [`Channel::cand_when`].
    #[inline(always)]
    pub(super) fn update_rank_ready(&mut self, t: u64, faw: u64, refresh: bool) {
        for (r, ready) in self.ranks.iter().zip(self.rank_ready.iter_mut()) {
            let faw_ready = if r.n_acts >= 4 {
                r.faw[r.faw_idx] + faw
            } else {
                0
            };
            *ready = RankReady {
                act: r.next_act.max(faw_ready),
                rd: r.next_rd,
                wr: r.next_wr,
                refreshing: refresh && r.next_ref_due <= t,
            };
        }
    }

    /// Removes access `i` of bank `bi`'s queue and, without a write buffer, refills the window
    /// from the backlog (with one, [`Dram::pump`] does).
    pub(super) fn take(&mut self, bi: usize, i: usize, refill: bool) -> Entry {
        let e = self.bank_queues[bi]
            .remove(i)
            .expect("index from a scan of this queue");
        self.n_queued -= 1;
        self.writes_in_window -= e.is_write as usize;
        self.banks[bi].cand_valid = false;
        self.when_lb[bi] = 0;
        if self.bank_queues[bi].is_empty() {
            let k = self
                .active
                .iter()
                .position(|&b| b as usize == bi)
                .expect("a non-empty bank is active");
            self.active.swap_remove(k);
        }
        if refill {
            if let Some(b) = self.backlog.pop_front() {
                self.enqueue(b);
            }
        } else if !self.trans_count.is_empty() && !self.draining {
            self.freed.push(bi as u32);
        }
        e
    }
}
