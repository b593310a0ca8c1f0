//! What can go wrong when talking to DingTalk, typed by what the caller should do about it.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DingTalkError {
    /// A login code that is unknown, expired, already used or of the wrong kind (40078,
    /// 42008), or a user token DingTalk refuses: the front end must get a new code.
    #[error("the DingTalk login code is invalid, expired or already used")]
    InvalidAuthCode,
    /// The user is outside the app's visible range (50002).
    #[error("the user is outside the app's visible range in DingTalk")]
    OutsideVisibleRange,
    /// The app lacks a permission, or our IP is not allowed, or the credentials are wrong
    /// (60011, 60020, 40096, ...): a configuration error, not retried.
    #[error("DingTalk refused the app: {code} {msg}")]
    NoPermission { code: String, msg: String },
    /// DingTalk refused the request's input (unknown user or department, bad parameter, ...).
    #[error("DingTalk refused the input: {code} {msg}")]
    BadInput { code: String, msg: String },
    /// The monthly call quota is used up (90020): no retry this month.
    #[error("the DingTalk monthly call quota is used up")]
    QuotaExhausted,
    /// Still throttled (90018, 90002, ...) when the retry budget ran out.
    #[error("DingTalk keeps throttling the app")]
    Throttled,
    /// DingTalk busy, a gateway error, a timeout, a refused connection.
    #[error("DingTalk is unavailable: {0}")]
    Unavailable(String),
    /// DingTalk banned our egress IP; every call is refused locally until `until`.
    #[error("DingTalk banned our IP; calls are paused until {until}")]
    IpBanned { until: DateTime<Utc> },
    /// A call that must not be repeated (a send) got no answer: DingTalk may or may not have
    /// carried it out.
    #[error("no answer from DingTalk; the call may have been carried out: {0}")]
    OutcomeUnknown(String),
    /// An answer we cannot read.
    #[error("unexpected answer from DingTalk: {0}")]
    Protocol(String),
}

impl DingTalkError {
    /// How the HTTP layer answers when a request fails with this error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            DingTalkError::InvalidAuthCode => StatusCode::UNAUTHORIZED,
            DingTalkError::OutsideVisibleRange => StatusCode::FORBIDDEN,
            DingTalkError::BadInput { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable error code the HTTP layer sends with [`Self::http_status`].
    pub fn api_code(&self) -> &'static str {
        match self {
            DingTalkError::InvalidAuthCode => "invalid_auth_code",
            DingTalkError::OutsideVisibleRange => "forbidden",
            DingTalkError::BadInput { .. } => "internal",
            _ => "upstream_unavailable",
        }
    }

    /// Whether this is our configuration's fault and an operator must act.
    pub fn is_configuration_error(&self) -> bool {
        matches!(self, DingTalkError::NoPermission { .. } | DingTalkError::QuotaExhausted)
    }
}

impl From<DingTalkError> for ApiError {
    fn from(e: DingTalkError) -> ApiError {
        if e.is_configuration_error() {
            // Nobody but an operator can fix this: say so loudly.
            tracing::error!(error = %e, "DingTalk configuration error");
        }
        match e {
            DingTalkError::InvalidAuthCode => ApiError::InvalidAuthCode(e.to_string()),
            DingTalkError::OutsideVisibleRange => {
                ApiError::Forbidden("you are outside this app's visible range in DingTalk".into())
            }
            // We sent DingTalk something it refused: our bug, not the caller's.
            DingTalkError::BadInput { .. } => ApiError::Internal(anyhow::Error::new(e)),
            other => ApiError::UpstreamUnavailable(format!("DingTalk: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    #[test]
    fn each_error_maps_to_the_status_its_code_promises() {
        let cases = [
            (DingTalkError::InvalidAuthCode, 401, "invalid_auth_code"),
            (DingTalkError::OutsideVisibleRange, 403, "forbidden"),
            (DingTalkError::NoPermission { code: "60011".into(), msg: String::new() }, 503, "upstream_unavailable"),
            (DingTalkError::Unavailable("timeout".into()), 503, "upstream_unavailable"),
            (DingTalkError::Throttled, 503, "upstream_unavailable"),
            (DingTalkError::BadInput { code: "60121".into(), msg: String::new() }, 500, "internal"),
        ];
        for (e, status, code) in cases {
            assert_eq!((e.http_status().as_u16(), e.api_code()), (status, code), "{e:?}");
            let api = ApiError::from(e);
            assert_eq!((api.status_code().as_u16(), api.code()), (status, code));
        }
    }
}
