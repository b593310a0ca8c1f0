//! Work notifications (工作通知, §5): send, follow, recall.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::DingTalkClient;
use super::client::Call;
use super::error::DingTalkError;
use super::flex::{i64_lenient, string_lenient};

/// Most recipients of one send call.
pub const MAX_RECIPIENTS: usize = 100;
/// Largest `msg`, in bytes of JSON.
pub const MAX_MSG_BYTES: usize = 2048;

/// A message body. Its limits (§5) are checked before sending, since DingTalk's silent limits
/// would otherwise drop it without a word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "snake_case")]
pub enum Message {
    Text { text: Text },
    Markdown { markdown: Markdown },
    ActionCard { action_card: ActionCard },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Markdown {
    pub title: String,
    pub text: String,
}

/// A card with one button, e.g. opening `eapp://pages/home/index?date=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCard {
    pub title: String,
    pub markdown: String,
    pub single_title: String,
    pub single_url: String,
}

impl Message {
    pub fn action_card(title: &str, markdown: &str, single_title: &str, single_url: &str) -> Message {
        Message::ActionCard {
            action_card: ActionCard {
                title: title.into(),
                markdown: markdown.into(),
                single_title: single_title.into(),
                single_url: single_url.into(),
            },
        }
    }

    pub fn markdown(title: &str, text: &str) -> Message {
        Message::Markdown { markdown: Markdown { title: title.into(), text: text.into() } }
    }

    /// The wire form, if within DingTalk's limits.
    pub fn to_json(&self) -> Result<Value, DingTalkError> {
        let bad = |msg: String| DingTalkError::BadInput { code: "local".into(), msg };
        let (title, button) = match self {
            Message::Text { .. } => (None, None),
            Message::Markdown { markdown } => (Some(&markdown.title), None),
            Message::ActionCard { action_card: c } => (Some(&c.title), Some(c)),
        };
        if title.is_some_and(|t| t.chars().count() > 64) {
            return Err(bad("title longer than 64 characters".into()));
        }
        if let Some(c) = button
            && (c.single_title.chars().count() > 20 || c.single_url.chars().count() > 500)
        {
            return Err(bad("single_title over 20 characters or single_url over 500".into()));
        }
        let value = serde_json::to_value(self).map_err(|e| bad(e.to_string()))?;
        let size = value.to_string().len();
        if size > MAX_MSG_BYTES {
            return Err(bad(format!("message of {size} bytes, over {MAX_MSG_BYTES}")));
        }
        Ok(value)
    }
}

/// `getsendprogress`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SendProgress {
    #[serde(default)]
    pub progress_in_percent: i64,
    /// 0 not started, 1 running, 2 done.
    #[serde(default)]
    pub status: i64,
}

/// `getsendresult`: who got it, who read it, and who was silently refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SendResult {
    pub invalid_user_id_list: Vec<String>,
    pub forbidden_user_id_list: Vec<String>,
    pub failed_user_id_list: Vec<String>,
    pub read_user_id_list: Vec<String>,
    pub unread_user_id_list: Vec<String>,
    pub invalid_dept_id_list: Vec<i64>,
    pub forbidden_list: Vec<Forbidden>,
}

/// A silent refusal: `143105` daily cap, `143106` duplicate content, `143103`/`143104` per
/// minute, `1430002` banned content.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Forbidden {
    #[serde(deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "i64_lenient")]
    pub count: i64,
    pub userid: String,
}

#[derive(Deserialize)]
struct TaskId {
    #[serde(deserialize_with = "i64_lenient")]
    task_id: i64,
}

impl DingTalkClient {
    /// Sends `msg` to at most [`MAX_RECIPIENTS`] users; returns DingTalk's task id. Success
    /// means accepted, not delivered: see [`DingTalkClient::send_result`]. Throttling is
    /// waited out, but a call whose answer was lost is never repeated: it fails with
    /// [`DingTalkError::OutcomeUnknown`].
    pub async fn send_work_notification(
        &self,
        agent_id: i64,
        userids: &[String],
        msg: &Message,
    ) -> Result<i64, DingTalkError> {
        if userids.is_empty() || userids.len() > MAX_RECIPIENTS {
            return Err(DingTalkError::BadInput {
                code: "local".into(),
                msg: format!("{} recipients; between 1 and {MAX_RECIPIENTS} per call", userids.len()),
            });
        }
        let body = json!({
            "agent_id": agent_id,
            "userid_list": userids.join(","),
            "to_all_user": false,
            "msg": msg.to_json()?,
        });
        let sent: TaskId =
            self.call(Call::old_post_once("/topapi/message/corpconversation/asyncsend_v2", &body), "").await?;
        Ok(sent.task_id)
    }

    pub async fn send_progress(&self, agent_id: i64, task_id: i64) -> Result<SendProgress, DingTalkError> {
        let body = json!({ "agent_id": agent_id, "task_id": task_id });
        self.call(Call::old_post("/topapi/message/corpconversation/getsendprogress", &body), "progress").await
    }

    pub async fn send_result(&self, agent_id: i64, task_id: i64) -> Result<SendResult, DingTalkError> {
        let body = json!({ "agent_id": agent_id, "task_id": task_id });
        self.call(Call::old_post("/topapi/message/corpconversation/getsendresult", &body), "send_result").await
    }

    /// Recalls a sent notification (within 24 h).
    pub async fn recall(&self, agent_id: i64, task_id: i64) -> Result<(), DingTalkError> {
        let body = json!({ "agent_id": agent_id, "msg_task_id": task_id });
        self.execute(Call::old_post("/topapi/message/corpconversation/recall", &body)).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_action_card_has_the_wire_shape() {
        let msg = Message::action_card("每日简报 11月26日", "### 每日简报", "查看详情", "eapp://pages/home/index");
        let v = msg.to_json().unwrap();
        assert_eq!(v["msgtype"], "action_card");
        assert_eq!(v["action_card"]["single_title"], "查看详情");
    }

    #[test]
    fn limits_are_checked_before_sending() {
        assert!(Message::markdown(&"标".repeat(65), "x").to_json().is_err());
        assert!(Message::markdown("t", &"x".repeat(2100)).to_json().is_err());
        assert!(Message::action_card("t", "m", &"按".repeat(21), "eapp://x").to_json().is_err());
    }

    #[test]
    fn forbidden_codes_and_counts_may_be_strings_or_numbers() {
        let r: SendResult = serde_json::from_value(json!({
            "forbidden_list": [{"code": "143105", "count": 500, "userid": "u1"}, {"code": 143106, "count": "1", "userid": "u2"}]
        }))
        .unwrap();
        assert_eq!(r.forbidden_list[1].code, "143106");
        assert_eq!(r.forbidden_list[1].count, 1);
    }
}
