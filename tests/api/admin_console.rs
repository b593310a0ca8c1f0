//! The web console is served by the server itself, from files compiled into the binary.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_console_is_served_at_admin() {
    let app = spawn_app().await;
    let res = app.get("/admin").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(res.headers()["location"], "/admin/");

    let res = app.get("/admin/").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("登录") && html.contains("app.js"), "{html}");

    let js = app.get("/admin/app.js").await;
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(js.text().await.unwrap().contains("/auth/dingtalk/web"));
    assert_eq!(app.get("/admin/app.css").await.status().as_u16(), 200);
    assert_eq!(app.get("/admin/secrets.txt").await.status().as_u16(), 404);
}
