use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/nothing-here").await;
    assert_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let res = app.client.post(app.url("/api/v1/metrics")).json(&serde_json::json!({})).send().await.unwrap();
    assert_error(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn errors_are_never_compressed_into_something_else() {
    // A client that accepts gzip or brotli gets a JSON error in a coding it asked for, labelled
    // as such. The client here does not decompress: the test reads the bytes as sent.
    let app = spawn_app().await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    for accepted in ["gzip", "br", "gzip, deflate, br, zstd"] {
        // Act
        let res = raw.get(app.url("/api/v1/nothing-here")).header("accept-encoding", accepted).send().await.unwrap();

        // Assert
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(res.headers()["content-type"], "application/json");
        let coding = res.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.bytes().await.unwrap();
        let json = match coding.as_deref() {
            None | Some("identity") => bytes.to_vec(),
            Some("gzip") if accepted.contains("gzip") => {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out).unwrap();
                out
            }
            Some("br") if accepted.contains("br") => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
                out
            }
            Some(other) => panic!("{accepted}: answered in {other}"),
        };
        let body: serde_json::Value = serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{accepted}: {e}"));
        assert_eq!(body["error"], "not_found", "{accepted}: {body}");
    }
}

/// Large answers made per request are compressed in the coding the client prefers; small ones
/// go as they are (compressing fifteen bytes costs more than sending them), and a client that
/// accepts no coding gets no `Content-Encoding` at all.
#[tokio::test]
async fn large_answers_are_compressed_and_small_ones_are_not() {
    let app = spawn_app().await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let get =
        |path: &'static str, accepted: &'static str| raw.get(app.url(path)).header("accept-encoding", accepted).send();

    // Act: the OpenAPI document is tens of kilobytes, rendered per request.
    let gz = get("/openapi.json", "gzip").await.unwrap();
    let br = get("/openapi.json", "gzip, br").await.unwrap();
    let none = get("/openapi.json", "identity").await.unwrap();
    let small = get("/healthz", "gzip, br").await.unwrap();

    // Assert
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(none.headers().get("content-encoding").is_none());
    assert!(small.headers().get("content-encoding").is_none(), "{:?}", small.headers());
    let mut unzipped = Vec::new();
    let zipped = gz.bytes().await.unwrap();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut unzipped).unwrap();
    let plain = none.bytes().await.unwrap();
    assert_eq!(unzipped, plain.to_vec());
    assert!(zipped.len() * 3 < plain.len(), "{} of {} bytes", zipped.len(), plain.len());
    let body: serde_json::Value = small.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

/// Dates at the calendar's ends and pages past any end used to panic the request (the
/// connection dropped, a backtrace logged): each is a `400 invalid_parameter` naming it.
#[tokio::test]
async fn dates_and_pages_beyond_their_range_are_400_not_a_dropped_connection() {
    let app = spawn_app().await;
    crate::fixture::seed(&app.db).await;
    let official = crate::fixture::add_user(&app.db, "o", "admin", &[crate::fixture::PROVINCE], true).await;
    app.state.reload().await.unwrap();
    let token = crate::fixture::token(&app.db, &app.settings, official).await;
    let get = |path: String| app.client.get(app.url(&path)).bearer_auth(&token).send();
    for date in ["-262143-01-01", "262142-12-31", "1999-12-31", "2028-01-01", "0000-01-01"] {
        for path in [
            format!("/api/v1/home?date={date}"),
            format!("/api/v1/metrics/collab.msg_total?date={date}"),
            format!("/api/v1/metrics/collab.msg_total/series?to={date}"),
            format!("/api/v1/metrics/collab.msg_total/breakdown?date={date}"),
            format!("/api/v1/exports/home.csv?date={date}"),
            format!("/api/v1/exports/series.xlsx?metric=collab.msg_total&to={date}"),
            format!("/api/v1/admin/briefings?date={date}"),
            format!("/api/v1/admin/audit?from={date}"),
        ] {
            let res = get(path.clone()).await.unwrap_or_else(|e| panic!("{path}: the connection failed: {e}"));
            let body = assert_error(res, 400, "invalid_parameter").await;
            assert!(!body["param"].as_str().unwrap_or("").is_empty(), "{path}: {body}");
        }
    }
    let run = app
        .client
        .post(app.url("/api/v1/admin/briefings/run"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"date": "-262143-01-01"}))
        .send()
        .await
        .unwrap();
    assert_error(run, 400, "invalid_parameter").await;
    for page in ["9223372036854775807", "18446744073709551616", "-1", "0"] {
        let res = get(format!("/api/v1/admin/audit?page={page}")).await.unwrap();
        let body = assert_error(res, 400, "invalid_parameter").await;
        assert_eq!(body["param"], "page", "{page}: {body}");
    }
    // The server is still there.
    assert_eq!(get("/api/v1/me".into()).await.unwrap().status().as_u16(), 200);
}

/// A client that trickles its body in is cut off at `server.request_timeout_secs`.
#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(|s| s.server.request_timeout_secs = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/dingtalk HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server held the slow connection for 10 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}
