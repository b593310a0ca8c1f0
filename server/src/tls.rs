//! TLS for the outgoing HTTP clients (DingTalk, the upstream feed): rustls with the ring
//! provider — no OpenSSL to install, and a lighter build than the default aws-lc. Servers'
//! certificates are checked against the system's trust store (rustls-platform-verifier).

/// Makes ring the process's rustls provider, before any client is built; idempotent.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means a provider was installed already: that one serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
