//! Who is logging in: the mini-program's login code (§2) and the web console's QR login (§2b).

use serde::Deserialize;
use serde_json::json;

use super::DingTalkClient;
use super::client::{Auth, Call};
use super::error::DingTalkError;
use super::wire::Family;

/// The user behind a mini-program login code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CodeUser {
    pub userid: String,
    #[serde(default)]
    pub unionid: Option<String>,
    #[serde(default)]
    pub name: String,
    /// Whether the user administers the organisation in DingTalk.
    #[serde(default)]
    pub sys: bool,
    /// 1 main admin, 2 sub-admin, 100 boss, 0 other.
    #[serde(default)]
    pub sys_level: i64,
}

/// The user token of a web (QR) login.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserToken {
    pub access_token: String,
    #[serde(default)]
    pub expire_in: i64,
    #[serde(default)]
    pub corp_id: String,
}

/// The web-login user's own profile (`contact/users/me`), without the phone number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    #[serde(default)]
    pub nick: String,
    pub union_id: String,
    #[serde(default)]
    pub open_id: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct ByUnionid {
    userid: String,
}

impl DingTalkClient {
    /// Exchanges a mini-program login code (`dd.getAuthCode`) for the user. The code is single
    /// use: it is never retried after DingTalk has seen it refused.
    pub async fn user_info_by_code(&self, code: &str) -> Result<CodeUser, DingTalkError> {
        let body = json!({ "code": code });
        self.call(Call::old_post("/topapi/v2/user/getuserinfo", &body), "result").await
    }

    /// Exchanges a web-login `authCode` for the user's token (new API).
    pub async fn user_access_token(&self, code: &str) -> Result<UserToken, DingTalkError> {
        let (key, secret) = self.app_credentials();
        let body = json!({ "clientId": key, "clientSecret": secret, "code": code, "grantType": "authorization_code" });
        let call = Call {
            family: Family::New,
            get: false,
            path: "/v1.0/oauth2/userAccessToken",
            query: &[],
            body: Some(&body),
            auth: Auth::None,
            at_most_once: false,
        };
        self.call(call, "").await.map_err(|e| match e {
            // Any refused input here is the code: the browser must scan again.
            DingTalkError::BadInput { .. } => DingTalkError::InvalidAuthCode,
            other => other,
        })
    }

    /// The profile of the user whose token this is.
    pub async fn contact_me(&self, user_token: &str) -> Result<Me, DingTalkError> {
        let call = Call {
            family: Family::New,
            get: true,
            path: "/v1.0/contact/users/me",
            query: &[],
            body: None,
            auth: Auth::User(user_token),
            at_most_once: false,
        };
        self.call(call, "").await
    }

    /// The userid of the member with this unionid.
    pub async fn userid_by_unionid(&self, unionid: &str) -> Result<String, DingTalkError> {
        let body = json!({ "unionid": unionid });
        let found: ByUnionid = self.call(Call::old_post("/topapi/user/getbyunionid", &body), "result").await?;
        Ok(found.userid)
    }
}
