//! One error type with stable codes. Every error answer, ours or actix's own, has the shape
//! `{"error":"<stable_code>","message":"...","requestId":"..."}`: handlers return [`ApiError`],
//! and the `error_shape` middleware (in `startup`) renders the body with the request id and
//! reshapes actix's bare errors (unknown path, wrong method, ...) into the same form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid parameter `{param}`: {reason}")]
    InvalidParameter { param: String, reason: String },
    #[error("{0}")]
    InvalidBody(String),
    /// A body field of the wrong type or form, named by its path (`cards[2].target`).
    #[error("invalid JSON body at `{param}`: {reason}")]
    InvalidBodyField { param: String, reason: String },
    #[error("{0}")]
    Unauthenticated(String),
    /// The DingTalk login code was refused: the mini-program gets a new one and retries.
    #[error("{0}")]
    InvalidAuthCode(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("org {0} is outside your scope")]
    OutOfScope(entities::ids::OrgId),
    /// A field of an administrator's request names an org or user outside their scope.
    #[error("`{param}`: {reason}")]
    OutOfScopeField { param: String, reason: String },
    #[error("no data scope has been granted to you")]
    NoScope,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A run of this kind is already going: `409` with its `Location` to poll.
    #[error(transparent)]
    RunInProgress(entities::sync_run::Busy),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    UpstreamUnavailable(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body did not arrive in time (server.request_timeout_secs)")]
    RequestTimeout,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    /// A panic caught while serving the request; the panic hook has logged it already.
    #[error("internal error")]
    Panicked,
}

impl ApiError {
    pub fn invalid(param: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter { param: param.into(), reason: reason.into() }
    }

    pub fn out_of_scope(param: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::OutOfScopeField { param: param.into(), reason: reason.into() }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::InvalidBody(_) | ApiError::InvalidBodyField { .. } => "invalid_body",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::InvalidAuthCode(_) => "invalid_auth_code",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::OutOfScope(_) | ApiError::OutOfScopeField { .. } => "out_of_scope",
            ApiError::NoScope => "no_scope",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::RunInProgress(_) => "run_in_progress",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::UpstreamUnavailable(_) => "upstream_unavailable",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::Internal(_) | ApiError::Panicked => "internal",
        }
    }

    /// The parameter at fault, for `invalid_parameter`.
    pub fn param(&self) -> Option<&str> {
        match self {
            ApiError::InvalidParameter { param, .. }
            | ApiError::InvalidBodyField { param, .. }
            | ApiError::OutOfScopeField { param, .. } => Some(param),
            _ => None,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. } | ApiError::InvalidBody(_) | ApiError::InvalidBodyField { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthenticated(_) | ApiError::InvalidAuthCode(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::OutOfScope(_) | ApiError::OutOfScopeField { .. } | ApiError::NoScope => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::RunInProgress(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UpstreamUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) | ApiError::Panicked => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited { retry_after_secs } = self {
            res.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        if let ApiError::RunInProgress(busy) = self {
            res.insert_header(("Location", run_location(busy.run)));
        }
        // The body is written by the `error_shape` middleware, which knows the request id.
        res.json(ErrorBody { error: self.code(), message: self.to_string(), param: self.param(), request_id: "" })
    }
}

/// Where a run (a sync, a briefing run: a background job) is polled.
pub fn run_location(run_id: i64) -> String {
    format!("/api/v1/admin/sync/runs/{run_id}")
}

/// The wire form of an error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    /// A stable code: `invalid_parameter`, `unauthenticated`, `out_of_scope`, ...
    pub error: &'a str,
    /// Human-readable text.
    pub message: String,
    /// For `invalid_parameter`, `invalid_body` (a field of the wrong type) and `out_of_scope` on
    /// an admin payload: the parameter or field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<&'a str>,
    /// Quote it when reporting a problem: it finds the request in the logs.
    pub request_id: &'a str,
}

/// The code for an error that did not come from our handlers, by its status.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_parameter",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        409 => "conflict",
        408 => "request_timeout",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "upstream_unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}
