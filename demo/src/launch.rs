//! `canmou demo`: the server with the DingTalk and feed sandboxes mounted beside it, on
//! loopback, with the demo's own secret and credentials whatever the environment says.
//! Production is `canmou serve`, which never mounts a sandbox.

use std::sync::Arc;

use actix_web::web;
use canmou::config::{DEMO_JWT_SECRET, Settings};
use canmou::startup::Application;
use canmou::supervisor::Supervisor;
use canmou_sandboxes::dingtalk::{SandboxOptions, SandboxState};
use canmou_sandboxes::feed::DEMO_TOKEN;
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};

/// Where the demo mounts the DingTalk sandbox.
pub const DINGTALK_SANDBOX: &str = "/sandbox/dingtalk";

/// Where the demo mounts the feed sandbox.
pub const FEED_SANDBOX: &str = "/sandbox/feed";

/// Why the demo will not start with these settings.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the demo runs on its own SQLite file, not on {0}: to serve a PostgreSQL database, run `canmou serve` (see the README, Production)"
    )]
    Postgres(&'static str),
    #[error(
        "DingTalk credentials are configured (dingtalk.{0}): the demo only talks to its in-process sandbox; to use real DingTalk, run `canmou serve` (see the README, Production)"
    )]
    DingTalkCredentials(&'static str),
}

/// Makes `settings` the demo's: refuses production settings (a PostgreSQL URL, DingTalk
/// credentials), and replaces what must never be shared with production — the listening
/// address (loopback), the token signing key (the public demo secret). Returns a line for each
/// setting it overrode, for the operator to read at start.
pub fn confine(settings: &mut Settings) -> Result<Vec<String>, Refusal> {
    let url = settings.database.url.expose_secret();
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Err(Refusal::Postgres("a PostgreSQL URL (database.url)"));
    }
    if !settings.dingtalk.app_key.is_empty() {
        return Err(Refusal::DingTalkCredentials("app_key"));
    }
    if !settings.dingtalk.app_secret.expose_secret().is_empty() {
        return Err(Refusal::DingTalkCredentials("app_secret"));
    }
    let mut notes = Vec::new();
    if !is_loopback(&settings.server.host) {
        notes.push(format!(
            "server.host {} ignored: the demo listens on 127.0.0.1 only (its sandboxes mint logins for anyone)",
            settings.server.host
        ));
        settings.server.host = "127.0.0.1".into();
    }
    if settings.auth.jwt_secret.expose_secret() != DEMO_JWT_SECRET {
        notes.push("auth.jwt_secret ignored: the demo signs its tokens with the public demo secret".into());
        settings.auth.jwt_secret = SecretString::from(DEMO_JWT_SECRET);
    }
    if !settings.auth.jwt_previous_secret.expose_secret().is_empty() {
        notes.push("auth.jwt_previous_secret ignored: the demo believes no other key".into());
        settings.auth.jwt_previous_secret = SecretString::from("");
    }
    if !settings.feed.base_url.is_empty() {
        notes.push(format!("feed.base_url {} ignored: the demo reads its feed sandbox", settings.feed.base_url));
    }
    Ok(notes)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Builds the demo server on `settings.server` (after [`confine`]): the clients point at the
/// sandboxes mounted on the server's own address.
pub async fn build(
    mut settings: Settings,
    db: DatabaseConnection,
    directory: canmou_sandboxes::dingtalk::Directory,
    jobs: Supervisor,
) -> anyhow::Result<Application> {
    let listener = Application::bind(&settings)?;
    let port = listener.local_addr()?.port();
    // In-process, the sandbox needs no pacing; its limiter is tested on its own.
    let options = SandboxOptions { qps: 0, ..SandboxOptions::default() };
    let base = format!("http://127.0.0.1:{port}{DINGTALK_SANDBOX}");
    settings.dingtalk.app_key = options.app_key.clone();
    settings.dingtalk.app_secret = options.app_secret.clone().into();
    settings.dingtalk.agent_id = options.agent_id;
    settings.dingtalk.corp_id = options.corp_id.clone();
    settings.dingtalk.oapi_base = base.clone();
    settings.dingtalk.api_base = base.clone();
    settings.dingtalk.login_base = base;
    settings.dingtalk.qps = 1_000;
    settings.feed.base_url = format!("http://127.0.0.1:{port}{FEED_SANDBOX}");
    settings.feed.token = DEMO_TOKEN.into();
    let dingtalk = web::Data::new(SandboxState::new(directory, options));
    if settings.demo.sandbox_delay_ms > 0 {
        dingtalk.add_fault(canmou_sandboxes::dingtalk::Fault {
            path: None,
            errcode: None,
            status: None,
            delay_ms: Some(settings.demo.sandbox_delay_ms),
            body: None,
            times: u32::MAX,
        });
    }
    let feed = web::Data::new(crate::feed_sandbox(&settings, &db).await?);
    let extra: canmou::startup::Extra = Arc::new(move |cfg: &mut web::ServiceConfig| {
        let (dingtalk, feed) = (dingtalk.clone(), feed.clone());
        cfg.service(
            web::scope(DINGTALK_SANDBOX).configure(move |c| canmou_sandboxes::dingtalk::configure(c, dingtalk)),
        );
        cfg.service(web::scope(FEED_SANDBOX).configure(move |c| canmou_sandboxes::feed::configure(c, feed)));
    });
    Application::from_listener(listener, settings, db, Some(extra), jobs).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn production_settings_are_refused_with_a_pointer_to_serve() {
        let mut s = Settings::default();
        s.database.url = SecretString::from("postgres://canmou@db/canmou");
        let err = confine(&mut s).unwrap_err().to_string();
        assert!(err.contains("canmou serve"), "{err}");
        let mut s = Settings::default();
        s.dingtalk.app_key = "dingreal".into();
        let err = confine(&mut s).unwrap_err().to_string();
        assert!(err.contains("dingtalk.app_key") && err.contains("canmou serve"), "{err}");
        let mut s = Settings::default();
        s.dingtalk.app_secret = SecretString::from("real-secret");
        assert!(confine(&mut s).unwrap_err().to_string().contains("dingtalk.app_secret"));
    }

    #[test]
    fn the_demo_keeps_to_loopback_and_its_own_secret() {
        let mut s = Settings::default();
        s.server.host = "0.0.0.0".into();
        s.auth.jwt_secret = SecretString::from("a-production-secret-of-thirty-two-bytes!");
        let notes = confine(&mut s).unwrap();
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.auth.jwt_secret.expose_secret(), DEMO_JWT_SECRET);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("auth.jwt_secret ignored")), "{notes:?}");
        // Already the demo's: nothing to say.
        let mut s = Settings::default();
        assert!(confine(&mut s).unwrap().is_empty());
        s.server.host = "::1".into();
        assert!(confine(&mut s).unwrap().is_empty());
    }
}
