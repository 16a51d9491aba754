//! Sharing of upstream task requests: concurrent requests of one task wait
//! for a single upstream request, and replies that may be reused are kept
//! for a short time.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

/// Number of entries above which a new upstream request first removes the
/// expired ones, so ids that are never requested again do not pile up.
const SWEEP_THRESHOLD: usize = 1024;

/// Source of a request's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheStatus {
    /// From a reply kept from an earlier upstream request.
    Hit,
    /// From the upstream request that this request started.
    Miss,
    /// From the upstream request that an earlier, concurrent request
    /// started.
    Shared,
}

impl CacheStatus {
    /// Returns the name used in logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Shared => "shared",
        }
    }
}

/// Error of a request whose upstream request ended without a value,
/// because the task running it panicked or the runtime shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the shared upstream request ended without a reply")]
pub(crate) struct FetchAbandoned;

/// Single-flight cache from keys to values of type `V`.
pub(crate) struct SingleFlight<K, V> {
    /// Time that a kept value is reused. Zero keeps nothing.
    ttl: Duration,
    /// Whether a value may be kept for `ttl`.
    keep: fn(&V) -> bool,
    slots: Mutex<HashMap<K, Slot<V>>>,
}

enum Slot<V> {
    /// An upstream request is running. Its value arrives on the channel.
    InFlight(watch::Receiver<Option<V>>),
    /// A kept value, reused until `expires_at`.
    Stored { value: V, expires_at: Instant },
}

impl<K, V> SingleFlight<K, V>
where
    K: Clone + Eq + Hash + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Creates an empty cache that keeps the values that pass `keep` for
    /// `ttl`.
    pub(crate) fn new(ttl: Duration, keep: fn(&V) -> bool) -> Arc<Self> {
        Arc::new(Self {
            ttl,
            keep,
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// Returns the kept value of `key`, or waits for the running request of
    /// `key`, or else starts `fetch` and waits for it.
    ///
    /// `fetch` runs in its own task, so it finishes and its value is kept
    /// even when every request waiting for it is canceled.
    ///
    /// # Errors
    ///
    /// Returns [`FetchAbandoned`] when the task running `fetch` ended
    /// without a value.
    pub(crate) async fn get_or_fetch<F>(
        self: &Arc<Self>,
        key: K,
        fetch: F,
    ) -> Result<(V, CacheStatus), FetchAbandoned>
    where
        F: Future<Output = V> + Send + 'static,
    {
        let (mut receiver, status) = {
            let mut slots = self.lock();
            let now = Instant::now();
            match slots.get(&key) {
                Some(Slot::Stored { value, expires_at }) if *expires_at > now => {
                    return Ok((value.clone(), CacheStatus::Hit));
                }
                Some(Slot::InFlight(receiver)) => (receiver.clone(), CacheStatus::Shared),
                _ => {
                    if slots.len() >= SWEEP_THRESHOLD {
                        slots.retain(|_, slot| !is_expired(slot, now));
                    }
                    let (sender, receiver) = watch::channel(None);
                    slots.insert(key.clone(), Slot::InFlight(receiver.clone()));
                    let flight = Flight {
                        cache: Arc::clone(self),
                        key,
                        sender: Some(sender),
                    };
                    let run = async move {
                        let value = fetch.await;
                        flight.finish(value);
                    };
                    tokio::spawn(run.in_current_span());
                    (receiver, CacheStatus::Miss)
                }
            }
        };

        let value = receiver
            .wait_for(Option::is_some)
            .await
            .map_err(|_| FetchAbandoned)?
            .clone();
        value.map(|value| (value, status)).ok_or(FetchAbandoned)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        // Every change to the map is a single insert, remove or retain, so
        // a panic elsewhere cannot leave it half-written.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_expired<V>(slot: &Slot<V>, now: Instant) -> bool {
    match slot {
        Slot::InFlight(_) => false,
        Slot::Stored { expires_at, .. } => *expires_at <= now,
    }
}

/// The running upstream request of one key. Dropping it before
/// [`Flight::finish`], as a panic does, removes its slot, so the next
/// request starts a new upstream request.
struct Flight<K: Clone + Eq + Hash, V> {
    cache: Arc<SingleFlight<K, V>>,
    key: K,
    sender: Option<watch::Sender<Option<V>>>,
}

impl<K: Clone + Eq + Hash, V: Clone> Flight<K, V> {
    /// Stores `value` or removes the slot, then sends the value to the
    /// waiting requests.
    fn finish(mut self, value: V) {
        {
            let mut slots = self
                .cache
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !self.cache.ttl.is_zero() && (self.cache.keep)(&value) {
                let stored = Slot::Stored {
                    value: value.clone(),
                    expires_at: Instant::now() + self.cache.ttl,
                };
                slots.insert(self.key.clone(), stored);
            } else {
                slots.remove(&self.key);
            }
        }
        if let Some(sender) = self.sender.take() {
            // Waiters that gave up dropped their receivers, which is fine.
            sender.send_replace(Some(value));
        }
    }
}

impl<K: Clone + Eq + Hash, V> Drop for Flight<K, V> {
    fn drop(&mut self) {
        if self.sender.is_some() {
            tracing::error!("shared upstream request ended without a reply");
            let mut slots = self
                .cache
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::{CacheStatus, SingleFlight};

    fn keep_even(value: &u32) -> bool {
        value.is_multiple_of(2)
    }

    /// Returns a fetch that counts its runs and returns `value` after
    /// `delay`.
    fn counted_fetch(
        runs: &Arc<AtomicU32>,
        value: u32,
        delay: Duration,
    ) -> impl std::future::Future<Output = u32> + Send + 'static {
        let runs = Arc::clone(runs);
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            value
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_one_fetch() {
        let cache = SingleFlight::<&str, u32>::new(Duration::ZERO, keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        let first = cache.get_or_fetch("a", counted_fetch(&runs, 2, Duration::from_millis(50)));
        let second = cache.get_or_fetch("a", counted_fetch(&runs, 4, Duration::from_millis(50)));
        let (first, second) = tokio::join!(first, second);

        assert_eq!(first, Ok((2, CacheStatus::Miss)));
        assert_eq!(second, Ok((2, CacheStatus::Shared)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn kept_value_is_hit_until_ttl() {
        let cache = SingleFlight::<&str, u32>::new(Duration::from_secs(1), keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        cache
            .get_or_fetch("a", counted_fetch(&runs, 2, Duration::ZERO))
            .await
            .ok();
        tokio::time::advance(Duration::from_millis(999)).await;
        let within = cache
            .get_or_fetch("a", counted_fetch(&runs, 4, Duration::ZERO))
            .await;
        tokio::time::advance(Duration::from_millis(1)).await;
        let after = cache
            .get_or_fetch("a", counted_fetch(&runs, 6, Duration::ZERO))
            .await;

        assert_eq!(within, Ok((2, CacheStatus::Hit)));
        assert_eq!(after, Ok((6, CacheStatus::Miss)));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn value_failing_keep_is_not_kept() {
        let cache = SingleFlight::<&str, u32>::new(Duration::from_secs(1), keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        cache
            .get_or_fetch("a", counted_fetch(&runs, 1, Duration::ZERO))
            .await
            .ok();
        let second = cache
            .get_or_fetch("a", counted_fetch(&runs, 3, Duration::ZERO))
            .await;

        assert_eq!(second, Ok((3, CacheStatus::Miss)));
    }

    #[tokio::test(start_paused = true)]
    async fn keys_do_not_share() {
        let cache = SingleFlight::<&str, u32>::new(Duration::from_secs(1), keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        cache
            .get_or_fetch("a", counted_fetch(&runs, 2, Duration::ZERO))
            .await
            .ok();
        let other = cache
            .get_or_fetch("b", counted_fetch(&runs, 4, Duration::ZERO))
            .await;

        assert_eq!(other, Ok((4, CacheStatus::Miss)));
    }

    #[tokio::test(start_paused = true)]
    async fn canceled_waiter_keeps_fetch_running() {
        let cache = SingleFlight::<&str, u32>::new(Duration::from_secs(1), keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        let canceled = tokio::time::timeout(
            Duration::from_millis(10),
            cache.get_or_fetch("a", counted_fetch(&runs, 2, Duration::from_millis(50))),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let later = cache
            .get_or_fetch("a", counted_fetch(&runs, 4, Duration::ZERO))
            .await;

        assert!(canceled.is_err());
        assert_eq!(later, Ok((2, CacheStatus::Hit)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    fn panic_on_purpose() -> u32 {
        panic!("fetch panics on purpose")
    }

    #[tokio::test(start_paused = true)]
    async fn panicking_fetch_frees_its_slot() {
        let cache = SingleFlight::<&str, u32>::new(Duration::from_secs(1), keep_even);
        let runs = Arc::new(AtomicU32::new(0));

        let failed = cache.get_or_fetch("a", async { panic_on_purpose() }).await;
        let later = cache
            .get_or_fetch("a", counted_fetch(&runs, 2, Duration::ZERO))
            .await;

        assert!(failed.is_err());
        assert_eq!(later, Ok((2, CacheStatus::Miss)));
    }
}
