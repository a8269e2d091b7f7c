//! A radix heap: a monotone priority queue for Dijkstra's non-negative integer distances.
//!
//! Each key sits in the bucket of the highest bit in which it differs from the last key
//! popped, so a key moves to lower buckets at most 64 times in all: pushes are O(1) and
//! pops O(log C) amortised, well below a binary heap's cost for the many pushes of a search.

/// Keys no smaller than the last key popped, each with a node.
#[derive(Debug)]
pub(super) struct RadixHeap {
    buckets: Vec<Vec<(u64, u32)>>,
    last: u64,
    len: usize,
}

impl RadixHeap {
    pub(super) fn new() -> Self {
        Self { buckets: (0..=64).map(|_| Vec::new()).collect(), last: 0, len: 0 }
    }

    pub(super) fn clear(&mut self) {
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    fn bucket(&self, key: u64) -> usize {
        (u64::BITS - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds `node` at `key`, which must be at least the last key popped.
    pub(super) fn push(&mut self, key: u64, node: u32) {
        debug_assert!(key >= self.last, "a radix heap's keys never go below the last pop");
        let b = self.bucket(key);
        self.buckets[b].push((key, node));
        self.len += 1;
    }

    /// Removes and returns an entry with the smallest key.
    pub(super) fn pop(&mut self) -> Option<(u64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let b = self.buckets.iter().position(|bucket| !bucket.is_empty())?;
            let moved = std::mem::take(&mut self.buckets[b]);
            self.last = moved.iter().map(|&(key, _)| key).min()?;
            for &(key, node) in &moved {
                let to = self.bucket(key);
                self.buckets[to].push((key, node));
            }
            // Keep the emptied bucket's allocation for later pushes.
            let mut moved = moved;
            moved.clear();
            self.buckets[b] = moved;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}
