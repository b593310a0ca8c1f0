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
    // A client that accepts gzip still gets a JSON error it can decode.
    let app = spawn_app().await;
    let res =
        app.client.get(app.url("/api/v1/nothing-here")).header("accept-encoding", "identity").send().await.unwrap();
    assert_error(res, 404, "not_found").await;
}
