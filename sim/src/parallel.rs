//! Independent runs spread over host threads: parallelism across runs, never inside one, so a
//! run's result does not depend on how many run at once (DESIGN §3). Used by `reproduce` and
//! `scaling`; sweeps have their own executor (`sweep::execute`), which also records each point.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs at once when the user does not say: the host's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Applies `f` to every item, on up to `jobs` threads, and returns the results in the items'
/// order. Each thread takes the next item not yet started, so items listed longest first keep
/// the threads busy to the end. `on_done` is called (from the thread that ran it) as each item
/// finishes, e.g. to advance a progress bar. A panic in `f` is passed on once every thread stops.
pub fn map_in_order<T: Sync, R: Send>(
    jobs: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    on_done: impl Fn(&T) + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let r = f(item);
        *results[i]
            .lock()
            .expect("no thread panics holding a result") = Some(r);
        on_done(item);
    };
    let threads = jobs.clamp(1, items.len().max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("no thread panics holding a result")
                .expect("every item ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_the_thread_count() {
        // Items of very different lengths, so threads finish them out of order.
        let items: Vec<u64> = (0..40).map(|i| (i * 7919) % 13).collect();
        let work = |&n: &u64| {
            let mut x = n;
            for _ in 0..n * 20_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            (n, x)
        };
        let serial: Vec<(u64, u64)> = items.iter().map(work).collect();
        for jobs in [1, 2, 3, 8, 100] {
            let done = AtomicUsize::new(0);
            let got = map_in_order(jobs, &items, work, |_| {
                done.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(got, serial, "jobs {jobs}");
            assert_eq!(done.load(Ordering::Relaxed), items.len(), "jobs {jobs}");
        }
        assert!(map_in_order(2, &[] as &[u64], work, |_| {}).is_empty());
    }
}
