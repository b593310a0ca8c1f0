//! Tokens: tampered, expired, wrong audience, `alg: none`, unknown key → 401.

use base64::Engine;
use chrono::Utc;

use crate::fixture::MINGZHOU;
use crate::helpers::assert_error;
use crate::read::seeded;

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let (app, good) = seeded().await;
    let user = crate::fixture::add_user(&app.db, "t1", "viewer", &[MINGZHOU], true).await;
    let now = Utc::now().timestamp();
    let claims = |aud: &str, exp: i64| serde_json::json!({"sub": user.to_string(), "iss": "canmou", "aud": aud, "iat": now, "exp": exp});
    let sign = |header: serde_json::Value, claims: serde_json::Value, secret: &[u8]| {
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = header["kid"].as_str().map(str::to_owned);
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    };
    let secret = canmou::config::DEMO_JWT_SECRET.as_bytes();
    let mut tampered = good.clone();
    tampered.insert(good.len() / 2, 'x');
    let cases = [
        ("tampered", tampered),
        ("expired", sign(serde_json::json!({"kid":"k1"}), claims("canmou-miniapp", now - 3600), secret)),
        ("wrong audience", sign(serde_json::json!({"kid":"k1"}), claims("someone-else", now + 3600), secret)),
        ("unknown key", sign(serde_json::json!({"kid":"k9"}), claims("canmou-miniapp", now + 3600), secret)),
        (
            "wrong secret",
            sign(
                serde_json::json!({"kid":"k1"}),
                claims("canmou-miniapp", now + 3600),
                b"another-secret-another-secret-00",
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&serde_json::json!({"alg":"none","typ":"JWT","kid":"k1"})),
                b64(&claims("canmou-miniapp", now + 3600))
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in cases {
        let res = app.get_as(&token, "/api/v1/me").await;
        let body = assert_error(res, 401, "unauthenticated").await;
        assert!(!body["message"].as_str().unwrap().is_empty(), "{what}");
    }
    assert_eq!(app.get_as(&good, "/api/v1/me").await.status().as_u16(), 200);
}

#[tokio::test]
async fn me_says_who_i_am_and_what_i_may_see() {
    let (app, token) = seeded().await;
    let me: serde_json::Value = app.get_as(&token, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["userid"], "mz-leader");
    assert_eq!(me["user"]["role"], "viewer");
    assert_eq!(me["scopes"][0]["id"], MINGZHOU);
    assert_eq!(me["scopes"][0]["name"], "明州市");
    assert_eq!(me["cardSet"]["name"], "默认卡片集");
    assert_eq!(me["briefing"]["time"], "08:30");
}
