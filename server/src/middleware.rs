//! Request guards every route shares: a panic becomes a `500` answered on the same connection,
//! and a body that trickles in is cut off at a deadline.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::Bytes;
use futures_util::{FutureExt, Stream};
use tokio::time::{Instant, Sleep};
use tracing_actix_web::RequestId;

use crate::error::ApiError;

tokio::task_local! {
    /// The id of the request being served, for the panic hook (formatted only if it panics).
    static SERVING: Option<RequestId>;
}

/// Installs (once per process) a panic hook that logs a panic inside a request as one line
/// with the request id and no backtrace; panics elsewhere keep the previous hook's report.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let logged = SERVING.try_with(|request_id| {
                let request_id = request_id.map(|id| id.to_string()).unwrap_or_default();
                let message = info.payload_as_str().unwrap_or("(no message)");
                let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                tracing::error!(request_id = %request_id, %location, panic = message, "request panicked; answered 500");
            });
            if logged.is_err() {
                previous(info);
            }
        }));
    });
}

/// Serves the request, turning a panic in its handler or extractors into `500 internal` with
/// the usual error shape (the `error_shape` middleware above writes it). It wraps each resource,
/// after routing: the router needs the only reference to the request while it matches.
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().copied();
    let http = req.request().clone();
    match SERVING.scope(request_id, AssertUnwindSafe(next.call(req)).catch_unwind()).await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(_) => Ok(ServiceResponse::from_err(ApiError::Panicked, http)),
    }
}

/// Cuts off a request whose body has not fully arrived within `secs` of its start.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // A request without a body (the reads) has nothing to wait for: no timer.
    let bodiless = !req.headers().contains_key(header::TRANSFER_ENCODING)
        && req.headers().get(header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0");
    if bodiless {
        return next.call(req).await;
    }
    let secs = req.app_data::<web::Data<BodyTimeout>>().map_or(10, |t| t.0);
    let inner = req.take_payload();
    let deadline = Box::pin(tokio::time::sleep_until(Instant::now() + Duration::from_secs(secs)));
    req.set_payload(Payload::Stream { payload: Box::pin(Deadline { inner, deadline, secs }) });
    next.call(req).await
}

/// The body read timeout, in seconds (`server.request_timeout_secs`).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub u64);

struct Deadline {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    secs: u64,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let secs = self.secs;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the request body did not arrive within {secs} s"),
            )))));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    async fn boom() -> HttpResponse {
        let v: Vec<u8> = Vec::new();
        #[allow(clippy::indexing_slicing)]
        HttpResponse::Ok().body(vec![v[3]])
    }

    #[actix_web::test]
    async fn a_panicking_handler_is_answered_with_a_500_and_the_server_goes_on() {
        install_panic_hook();
        let app = test::init_service(
            App::new()
                .service(web::resource("/boom").wrap(from_fn(catch_panic)).route(web::get().to(boom)))
                .route("/ok", web::get().to(|| async { HttpResponse::Ok().body("ok") })),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
        assert_eq!(res.status().as_u16(), 500);
        let err = res.response().error().and_then(|e| e.as_error::<ApiError>());
        assert!(matches!(err, Some(ApiError::Panicked)), "{err:?}");
        let res = test::call_service(&app, test::TestRequest::get().uri("/ok").to_request()).await;
        assert_eq!(res.status().as_u16(), 200);
    }
}
