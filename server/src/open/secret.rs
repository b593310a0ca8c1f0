//! Client ids and secrets: made from 256 random bits, shown once, stored as Argon2id hashes.
//!
//! The parameters are OWASP's second recommendation for Argon2id (19 MiB, 2 passes, one lane):
//! some 20–40 ms a check, paid off the request threads. A successful check is remembered for a
//! few minutes by a digest of (client id, secret, stored hash), so that an application asking
//! for tokens often pays for Argon2 once; a wrong secret is never remembered and pays every time.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moka::future::Cache;
use sha2::{Digest, Sha256};

/// A new client id: `cm_` and 24 hex digits.
pub fn new_client_id() -> String {
    let bytes: [u8; 12] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("cm_{hex}")
}

/// A new secret: 256 random bits, base64url.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `secret` (salted).
pub fn hash(secret: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let phc = hasher()?.hash_password(secret.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(phc.to_string())
}

/// Whether `secret` matches the PHC string `stored` (with the parameters written in it).
pub fn verify(secret: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok()
}

/// Hashes off the request threads: Argon2 takes tens of milliseconds of CPU.
pub async fn hash_blocking(secret: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&secret)).await?
}

/// Checks off the request threads.
pub async fn verify_blocking(secret: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&secret, &stored)).await.unwrap_or(false)
}

/// Successful checks, remembered briefly.
#[derive(Clone)]
pub struct VerifiedCache {
    cache: Cache<[u8; 32], ()>,
}

impl Default for VerifiedCache {
    fn default() -> VerifiedCache {
        VerifiedCache { cache: Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(300)).build() }
    }
}

impl VerifiedCache {
    fn key(client_id: &str, secret: &str, stored: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [client_id, secret, stored] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize().into()
    }

    /// Whether `secret` matches `stored`, from memory or by Argon2.
    pub async fn check(&self, client_id: &str, secret: &str, stored: &str) -> bool {
        let key = Self::key(client_id, secret, stored);
        if self.cache.get(&key).await.is_some() {
            return true;
        }
        let ok = verify_blocking(secret.to_owned(), stored.to_owned()).await;
        if ok {
            self.cache.insert(key, ()).await;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_and_no_other() {
        let secret = new_secret();
        let stored = hash(&secret).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(!stored.contains(&secret));
        assert!(verify(&secret, &stored));
        assert!(!verify(&new_secret(), &stored));
        assert!(!verify(&secret, "not a hash"));
        // Salted: the same secret hashes differently twice.
        assert_ne!(hash(&secret).unwrap(), stored);
    }

    #[test]
    fn ids_and_secrets_are_long_and_distinct() {
        assert_eq!(new_client_id().len(), 27);
        assert_eq!(new_secret().len(), 43);
        assert_ne!(new_secret(), new_secret());
    }
}
