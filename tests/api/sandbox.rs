//! The DingTalk sandbox on a random port, a client pointed at it, and its control endpoints.

use canmou::config::DingtalkSettings;
use canmou::dingtalk::DingTalkClient;
use canmou_sandboxes::dingtalk::fixture::{Department, User};
use canmou_sandboxes::dingtalk::{self as sandbox, Directory, RunningSandbox, SandboxOptions};
use serde_json::{Value, json};

pub struct Sandbox {
    pub running: RunningSandbox,
    pub http: reqwest::Client,
}

/// A member of `depts`, profile complete unless a test empties fields.
pub fn user(userid: &str, depts: &[i64]) -> User {
    User {
        userid: userid.into(),
        unionid: format!("union-{userid}"),
        name: format!("成员{userid}"),
        title: "科员".into(),
        mobile: "13800000000".into(),
        avatar: "https://example.invalid/a.png".into(),
        email: format!("{userid}@example.invalid"),
        job_number: "A001".into(),
        dept_ids: depts.to_vec(),
        leader_of: Vec::new(),
        active: true,
        admin: false,
        sys_level: 0,
        outside_visible_range: false,
    }
}

pub fn department(dept_id: i64, parent_id: i64, name: &str) -> Department {
    Department { dept_id, parent_id: Some(parent_id), name: name.into(), order: dept_id }
}

/// A root, two departments and three users (`alice` leads department 2, `outsider` is outside
/// the app's visible range).
pub fn small_directory() -> Directory {
    let mut d = Directory::with_root("东海省");
    d.upsert_department(department(2, 1, "明州市"));
    d.upsert_department(department(3, 2, "明州市大数据发展管理局"));
    let mut alice = user("alice", &[2]);
    alice.leader_of = vec![2];
    d.upsert_user(alice);
    d.upsert_user(user("bob", &[3]));
    let mut outsider = user("outsider", &[3]);
    outsider.outside_visible_range = true;
    d.upsert_user(outsider);
    d
}

impl Sandbox {
    pub async fn start(directory: Directory) -> Sandbox {
        Sandbox::start_with(directory, SandboxOptions::default()).await
    }

    pub async fn start_with(directory: Directory, options: SandboxOptions) -> Sandbox {
        let running = sandbox::spawn_with(directory, options).await.expect("cannot start the sandbox");
        // The test's own client is built before the app's: the rustls provider must be in place.
        canmou::tls::install();
        Sandbox {
            running,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        }
    }

    /// Client settings for tests: short back-off so that retries take milliseconds.
    pub fn settings(&self) -> DingtalkSettings {
        DingtalkSettings { retry_base_ms: 20, timeout_ms: 2_000, ..self.running.client_settings() }
    }

    pub fn client(&self) -> DingTalkClient {
        DingTalkClient::new(&self.settings()).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.post(self.url(path)).json(&body).send().await.unwrap()
    }

    pub async fn fault(&self, fault: Value) {
        let res = self.post("/_sandbox/faults", fault).await;
        assert_eq!(res.status().as_u16(), 204, "{:?}", res.text().await);
    }

    pub async fn auth_code(&self, userid: &str) -> String {
        let body: Value = self.post("/_sandbox/auth-codes", json!({ "userid": userid })).await.json().await.unwrap();
        body["authCode"].as_str().unwrap().to_owned()
    }

    pub async fn advance_clock(&self, secs: i64) {
        let res = self.post("/_sandbox/clock", json!({ "advanceSecs": secs })).await;
        assert!(res.status().is_success());
    }

    /// `(calls to path, throttled answers)`.
    pub async fn stats(&self, path: &str) -> (u64, u64) {
        let body: Value = self.http.get(self.url("/_sandbox/stats")).send().await.unwrap().json().await.unwrap();
        (body["calls"][path].as_u64().unwrap_or(0), body["throttled"].as_u64().unwrap())
    }

    pub async fn inbox(&self, userid: &str) -> Vec<Value> {
        let url = self.url(&format!("/_sandbox/inbox?userid={userid}"));
        let body: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        body["messages"].as_array().cloned().unwrap_or_default()
    }
}
