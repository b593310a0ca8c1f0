//! Tokens this thread verified a moment ago, and who they turned out to be.
//!
//! A request's caller costs a signature check, a session lookup and a principal lookup: about
//! a quarter of a cached answer's time under load. An official's screens come in bursts —
//! the home screen, a card, its trend — all with one token, and in the morning the same
//! tokens come back many times a second. So each HTTP worker thread remembers, for a couple of
//! seconds, the callers of the tokens it verified: a hit compares the token's bytes and
//! clones two pointers.
//!
//! What a full check would refuse is never served from here: an entry lives at most
//! [`WINDOW`] (and never past the token's expiry), and any change this instance makes to a
//! session or a user — sign-out, revocation, a role or scope change, a deactivation, a
//! directory sync — forgets every entry of every thread at once (the caches bump their
//! [`Epoch`]). Changes made by another instance reach this one through the session and user
//! caches' time-to-live, as before, plus at most [`WINDOW`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use xxhash_rust::xxh3::xxh3_64;

use super::extract::CurrentUser;

/// How long a verified caller is remembered.
pub const WINDOW: Duration = Duration::from_secs(2);

/// Entries kept per thread; a full memo starts afresh (a burst of new tokens pays one full
/// check each, as without the memo).
const CAPACITY: usize = 4096;

/// The generation of an application's sessions and users, bumped by every change to them:
/// entries remembered in an older one are not used. Each application has its own (tests run
/// several in one process).
#[derive(Clone, Default)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    /// Forgets every caller remembered under this epoch, by any thread.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    /// The generation now, to pass to [`remember`] once a full check has succeeded.
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Which application's epoch this is.
    fn owner(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

struct Entry {
    token: Box<str>,
    user: CurrentUser,
    /// The token's `exp` (Unix seconds).
    expires: i64,
    until: Instant,
    owner: usize,
    epoch: u64,
}

thread_local! {
    static MEMO: RefCell<HashMap<u64, Entry>> = RefCell::new(HashMap::new());
}

/// The caller of `token` if this thread verified it for this application within [`WINDOW`],
/// in the current epoch, and it has not expired.
pub fn recall(epoch: &Epoch, token: &str) -> Option<CurrentUser> {
    let now = Instant::now();
    let (owner, current) = (epoch.owner(), epoch.now());
    let unix = unix_now();
    MEMO.with(|memo| {
        let memo = memo.try_borrow().ok()?;
        let e = memo.get(&xxh3_64(token.as_bytes()))?;
        let fresh = e.owner == owner && e.epoch == current && now < e.until && unix < e.expires;
        (fresh && *e.token == *token).then(|| e.user.clone())
    })
}

/// Remembers that `token` (valid until `expires`, Unix seconds) is `user`'s. `seen` is
/// [`Epoch::now`] as read *before* the full check began: a change made during the check
/// leaves the entry stale from the start.
pub fn remember(epoch: &Epoch, seen: u64, token: &str, user: &CurrentUser, expires: i64) {
    MEMO.with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else { return };
        if memo.len() >= CAPACITY {
            memo.clear();
        }
        let entry = Entry {
            token: token.into(),
            user: user.clone(),
            expires,
            until: Instant::now() + WINDOW,
            owner: epoch.owner(),
            epoch: seen,
        };
        memo.insert(xxh3_64(token.as_bytes()), entry);
    });
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use entities::ids::{OrgId, UserId};

    use super::*;
    use crate::auth::{Principal, Role};

    fn user(id: i32) -> CurrentUser {
        let principal = Principal {
            id: UserId(id),
            userid: format!("u{id}"),
            name: "测试".into(),
            title: None,
            role: Role::Viewer,
            active: true,
            scopes: vec![OrgId(1)],
        };
        CurrentUser { principal: Arc::new(principal), session: format!("s{id}") }
    }

    fn later() -> i64 {
        unix_now() + 3600
    }

    fn keep(epoch: &Epoch, token: &str, id: i32, expires: i64) {
        remember(epoch, epoch.now(), token, &user(id), expires);
    }

    #[test]
    fn a_remembered_token_is_recalled_and_another_is_not() {
        let epoch = Epoch::default();
        keep(&epoch, "token-a", 7, later());
        assert_eq!(recall(&epoch, "token-a").map(|u| u.id), Some(UserId(7)));
        assert!(recall(&epoch, "token-b").is_none());
        assert!(recall(&epoch, "token-a ").is_none());
        // Another application on this thread never sees this one's callers.
        assert!(recall(&Epoch::default(), "token-a").is_none());
    }

    #[test]
    fn any_change_to_users_or_sessions_forgets_every_thread() {
        let epoch = Epoch::default();
        keep(&epoch, "token-c", 8, later());
        let theirs = epoch.clone();
        let other = std::thread::spawn(move || theirs.bump());
        assert!(other.join().is_ok());
        assert!(recall(&epoch, "token-c").is_none(), "a change on another thread applies here too");
    }

    #[test]
    fn a_change_during_the_check_leaves_the_entry_stale() {
        let epoch = Epoch::default();
        let before = epoch.now();
        epoch.bump();
        remember(&epoch, before, "token-e", &user(10), later());
        assert!(recall(&epoch, "token-e").is_none());
    }

    #[test]
    fn an_expired_token_is_not_recalled() {
        let epoch = Epoch::default();
        keep(&epoch, "token-f", 11, unix_now() - 1);
        assert!(recall(&epoch, "token-f").is_none());
    }

    #[test]
    fn the_memo_stays_bounded() {
        let epoch = Epoch::default();
        for i in 0..(CAPACITY + 10) {
            keep(&epoch, &format!("bulk-{i}"), 12, later());
        }
        MEMO.with(|m| assert!(m.borrow().len() <= CAPACITY));
    }
}
