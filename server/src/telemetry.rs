//! Logging: `tracing` with text or JSON output. Every request runs inside a root span carrying
//! its request id ([`RequestSpan`]), so every log line of a request names it, and ends with one
//! line (target [`ACCESS`]) saying what was asked and how it was answered.

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage, HttpRequest};
use tracing::{Level, Span, Subscriber};
use tracing_actix_web::{RequestId, RootSpanBuilder, TracingLogger};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogSettings};
use crate::error::ApiError;

/// The target of the line each request ends with: `log.filter = "info,canmou::access=debug"`
/// logs every answer, not only the failures.
pub const ACCESS: &str = "canmou::access";

/// The target of the root span, apart from [`ACCESS`] so that quietening the closing lines
/// keeps the request id on the others.
const REQUEST: &str = "canmou::request";

/// Paths asked every few seconds by machines (Prometheus, the orchestrator's probes): their
/// answers are in the metrics, and a line for each would bury the requests people make.
const QUIET: [&str; 3] = ["/metrics", "/healthz", "/readyz"];

/// Installs the global subscriber. `RUST_LOG` overrides the configured filter. Calling it twice
/// (as tests do) keeps the first.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = subscriber(settings.format, filter, std::io::stdout).try_init();
}

/// The subscriber [`init`] installs, writing to `writer` (tests capture it).
pub fn subscriber<W>(format: LogFormat, filter: EnvFilter, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        // The whole span list: a line inside a nested span (a DingTalk call) still shows the
        // request's id from the root span.
        LogFormat::Json => Box::new(builder.json().with_current_span(false).with_span_list(true).finish()),
        LogFormat::Text => Box::new(builder.with_target(false).finish()),
    }
}

/// The middleware opening the root span of each request (it also gives the request its id).
pub fn request_logger() -> TracingLogger<RequestSpan> {
    TracingLogger::new()
}

/// When the request arrived, for the duration in its line.
#[derive(Clone, Copy)]
struct Arrived(Instant);

/// The root span of a request: its id only, so that opening it costs little on the read path
/// (method, route and path are written once, in the closing line).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request.extensions().get::<RequestId>().copied();
        request.extensions_mut().insert(Arrived(Instant::now()));
        // At ERROR, the span is there whenever any line of the request can be written, so an
        // error inside a request keeps its id even under `log.filter = "warn"`.
        match id {
            Some(id) => tracing::error_span!(target: REQUEST, "request", request_id = %id),
            None => tracing::error_span!(target: REQUEST, "request"),
        }
    }

    /// The request's one line: 5xx at ERROR (with the cause of an internal error — the only
    /// place it is logged), 4xx at INFO, the rest at DEBUG. At 20,000 reads a second a line per
    /// success would cost more than the read and bury the failures; the Prometheus metrics
    /// count every answer, and `canmou::access=debug` lists them. Nothing is formatted for a
    /// level the filter leaves out.
    fn on_request_end<B: MessageBody>(_span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        match outcome {
            Ok(res) => {
                let req = res.request();
                if QUIET.contains(&req.path()) {
                    return;
                }
                let status = res.status().as_u16();
                let error = res.response().error().map(Cause);
                macro_rules! answered {
                    ($level:expr) => {
                        tracing::event!(
                            target: ACCESS,
                            $level,
                            method = %req.method(),
                            route = req.match_pattern().as_deref().unwrap_or("-"),
                            path = req.path(),
                            status,
                            duration_ms = duration_ms(req),
                            error = error.as_ref().map(tracing::field::display),
                            "answered"
                        )
                    };
                }
                match status {
                    500.. => answered!(Level::ERROR),
                    400..500 => answered!(Level::INFO),
                    _ => answered!(Level::DEBUG),
                }
            }
            // A middleware failed before an answer was made (actix answers it): no request to
            // describe, but the id is in the span.
            Err(e) => tracing::error!(target: ACCESS, error = %Cause(e), "failed before answering"),
        }
    }
}

fn duration_ms(req: &HttpRequest) -> Option<f64> {
    let arrived = req.extensions().get::<Arrived>().copied()?;
    Some(arrived.0.elapsed().as_micros() as f64 / 1000.0)
}

/// An answer's error for its log line: an internal error with its whole chain of causes (the
/// client only sees "internal error"), any other by its message.
struct Cause<'a>(&'a Error);

impl fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_error::<ApiError>() {
            Some(ApiError::Internal(cause)) => write!(f, "{cause:#}"),
            _ => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};
    use actix_web_prom::PrometheusMetricsBuilder;
    use serde_json::Value;

    use super::*;

    /// The log, as JSON lines.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().map_err(|_| io::Error::other("poisoned"))?.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;

        fn make_writer(&'w self) -> Captured {
            self.clone()
        }
    }

    async fn looks_inside() -> HttpResponse {
        tracing::warn!("looked inside");
        HttpResponse::Ok().finish()
    }

    async fn breaks() -> Result<HttpResponse, ApiError> {
        Err(anyhow::anyhow!("disk on fire").context("reading the day's facts").into())
    }

    async fn no_such_endpoint() -> Result<HttpResponse, ApiError> {
        Err(ApiError::NotFound("no such endpoint".into()))
    }

    /// Serves `uri` through the server's logging, error and metrics middleware with the log
    /// captured at `filter`: the lines written, and the request id answered.
    async fn serve(filter: &str, uri: &str) -> (Vec<Value>, String) {
        let log = Captured::default();
        let _default =
            tracing::subscriber::set_default(subscriber(LogFormat::Json, EnvFilter::new(filter), log.clone()));
        let prometheus = PrometheusMetricsBuilder::new("test").build().unwrap();
        let registry = web::Data::new(prometheus.registry.clone());
        let app = test::init_service(
            App::new()
                .wrap(from_fn(crate::startup::error_shape))
                .wrap(prometheus)
                .wrap(request_logger())
                .app_data(registry)
                .route("/metrics", web::get().to(crate::routes::health::metrics))
                .route("/inside", web::get().to(looks_inside))
                .route("/breaks", web::get().to(breaks))
                .default_service(web::to(no_such_endpoint)),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        let id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
        test::read_body(res).await;
        let bytes = log.0.lock().unwrap().clone();
        let lines = String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (lines, id)
    }

    fn request_id(line: &Value) -> &str {
        line["spans"][0]["request_id"].as_str().unwrap_or("")
    }

    #[actix_web::test]
    async fn a_client_error_is_one_info_line_with_the_request_id_and_status() {
        let (lines, id) = serve("info", "/no/such/path?x=1").await;

        assert_eq!(lines.len(), 1, "{lines:#?}");
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], ACCESS);
        assert_eq!(request_id(line), id);
        assert_eq!(line["fields"]["status"], 404);
        assert_eq!(line["fields"]["method"], "GET");
        assert_eq!(line["fields"]["path"], "/no/such/path");
        assert_eq!(line["fields"]["error"], "no such endpoint");
        assert!(line["fields"]["duration_ms"].is_number(), "{line}");
    }

    #[actix_web::test]
    async fn an_internal_error_is_one_error_line_with_its_causes() {
        let (lines, id) = serve("info", "/breaks").await;

        assert_eq!(lines.len(), 1, "{lines:#?}");
        let line = &lines[0];
        assert_eq!(line["level"], "ERROR");
        assert_eq!(request_id(line), id);
        assert_eq!(line["fields"]["status"], 500);
        assert_eq!(line["fields"]["route"], "/breaks");
        assert_eq!(line["fields"]["error"], "reading the day's facts: disk on fire");
    }

    #[actix_web::test]
    async fn a_success_is_logged_at_debug_only() {
        let (at_info, _) = serve("info", "/inside").await;
        let (at_debug, id) = serve("debug", "/inside").await;

        assert!(at_info.iter().all(|l| l["target"] != ACCESS), "{at_info:#?}");
        let answered: Vec<&Value> = at_debug.iter().filter(|l| l["target"] == ACCESS).collect();
        assert_eq!(answered.len(), 1, "{at_debug:#?}");
        assert_eq!(answered[0]["level"], "DEBUG");
        assert_eq!(answered[0]["fields"]["status"], 200);
        assert_eq!(request_id(answered[0]), id);
    }

    #[actix_web::test]
    async fn a_line_written_by_a_handler_carries_the_request_id() {
        let (lines, id) = serve("info", "/inside").await;

        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert_eq!(lines[0]["fields"]["message"], "looked inside");
        assert_eq!(request_id(&lines[0]), id);
    }

    #[actix_web::test]
    async fn a_prometheus_scrape_is_not_logged() {
        let (lines, _) = serve("trace", "/metrics").await;

        assert!(lines.iter().all(|l| l["target"] != ACCESS && l["level"] != "ERROR"), "{lines:#?}");
    }
}
