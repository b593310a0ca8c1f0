//! The daily briefing as DingTalk shows it: an action card built from the home screen's own
//! card DTOs (one computation, so the briefing never disagrees with the screen it opens).
//!
//! The whole `msg` must fit in DingTalk's 2048 bytes: lines are added in order of importance
//! and the first that does not fit ends the list, so a card is left out whole, never cut.

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use super::dto::CardDto;
use crate::dingtalk::messages::{MAX_MSG_BYTES, Message};
use crate::domain::card::Comparison;

/// How briefings are laid out (from `briefing.*` settings).
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    /// Cards listed, at most.
    pub top_cards: usize,
    /// An unfavourable move at least this large (relative, %) is called out.
    pub unusual_change_pct: f64,
    /// The mini-program page the button opens.
    pub home_page: &'a str,
}

/// `11月26日`.
fn day_label(date: NaiveDate) -> String {
    format!("{}月{}日", date.month(), date.day())
}

/// The briefing for `org_name`'s cards on business date `date`.
pub fn briefing(date: NaiveDate, org_name: &str, cards: &[CardDto], layout: Layout<'_>) -> Message {
    let title = format!("每日简报 {}", day_label(date));
    let header = format!("### {title}\n\n**{}**\n", plain(org_name));
    let url = format!("eapp://{}?date={date}", layout.home_page);
    let with_value: Vec<&CardDto> = cards.iter().filter(|c| c.value.is_some()).collect();
    let mut lines: Vec<String> = with_value.iter().take(layout.top_cards).map(|c| card_line(c)).collect();
    if with_value.is_empty() {
        lines.push("- 暂无数据".into());
    }
    let unusual: Vec<String> =
        with_value.iter().filter(|c| is_unusual(c, layout.unusual_change_pct)).map(|c| unusual_line(c)).collect();
    if !unusual.is_empty() {
        lines.push(String::new());
        lines.push("#### 需要关注".into());
        lines.extend(unusual);
    }
    fit(&title, header, lines, "查看详情", &url)
}

/// The short notice sent instead when the data for `date` is still incomplete at the deadline.
pub fn delayed(date: NaiveDate, layout: Layout<'_>) -> Message {
    let day = day_label(date);
    let title = format!("数据延迟 {day}");
    let text =
        format!("### {title}\n\n{day}的数据尚未到齐，今天的每日简报暂停发送。数据到齐后，可在参谋中查看最新指标。");
    Message::action_card(&title, &text, "打开参谋", &format!("eapp://{}", layout.home_page))
}

/// A stable hash of what DingTalk will show: recipients with the same hash get the same call.
pub fn content_hash(msg: &Message) -> String {
    let bytes = serde_json::to_vec(msg).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The size DingTalk counts: the `msg` object as JSON.
pub fn wire_size(msg: &Message) -> usize {
    serde_json::to_vec(msg).map_or(usize::MAX, |v| v.len())
}

fn fit(title: &str, header: String, lines: Vec<String>, button: &str, url: &str) -> Message {
    let mut markdown = header;
    for line in lines {
        let candidate = format!("{markdown}\n{line}");
        if wire_size(&Message::action_card(title, &candidate, button, url)) > MAX_MSG_BYTES {
            break;
        }
        markdown = candidate;
    }
    Message::action_card(title, &markdown, button, url)
}

/// The change the card is compared on: its relative size (%) and how it reads — the same
/// words as the card on the phone (`环比↑14.0%`, `同比↓85.5%`, `环比持平`), with the day
/// compared with when it is not the day before (`环比↑3.2%（较11月27日）`), or why there is no
/// comparison (`环比：上期数据不完整，不作比较`).
fn change(c: &CardDto) -> Option<(Option<f64>, String)> {
    let (label, pct, display, missing) = match c.comparison {
        Comparison::Prev => ("环比", c.delta_pct, c.delta_display.as_deref(), c.prev_missing),
        Comparison::Yoy => ("同比", c.yoy_delta_pct, c.yoy_display.as_deref(), c.yoy_missing),
        Comparison::Target => {
            let attained = c.attainment?;
            return Some((None, format!("目标达成{}", crate::domain::format::attainment(attained))));
        }
    };
    let Some(display) = display else {
        let base = if c.comparison == Comparison::Prev { "上期" } else { "上年同期" };
        return missing.map(|m| (None, format!("{label}：{base}{}", m.label_zh())));
    };
    let against = match (c.comparison, c.prev_label.as_deref(), c.yoy_label.as_deref()) {
        (Comparison::Prev, Some(day), _) | (Comparison::Yoy, _, Some(day)) => format!("（较{day}）"),
        _ => String::new(),
    };
    Some((pct, format!("{label}{display}{against}")))
}

fn card_line(c: &CardDto) -> String {
    let mut line = format!("- {} **{}**", plain(&c.title), plain(&c.display));
    if let Some((_, text)) = change(c) {
        line.push(' ');
        line.push_str(&text);
    }
    if c.good == Some(false) {
        line.push_str(" ⚠");
    }
    if let Some(link) = &c.records {
        // A records-backed figure: a tap opens the list of what it counts.
        line.push_str(&format!(" [明细](eapp://{RECORDS_PAGE}?link={})", crate::dingtalk::query_value(link)));
    }
    line
}

/// The mini-program's record list page.
const RECORDS_PAGE: &str = "pages/records/index";

fn is_unusual(c: &CardDto, threshold_pct: f64) -> bool {
    c.good == Some(false) && change(c).and_then(|(pct, _)| pct).is_some_and(|p| p.abs() >= threshold_pct)
}

fn unusual_line(c: &CardDto) -> String {
    let text = change(c).map(|(_, t)| t).unwrap_or_default();
    format!("- {} {text}，变化较大", plain(&c.title))
}

/// Text from administrators or upstream (card titles, org names) as plain text in DingTalk's
/// markdown: the characters that make links, images, emphasis, headings or HTML become their
/// full-width forms, which read the same in Chinese and mean nothing to the renderer, and a
/// line break cannot start a new block.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '[' => '［',
            ']' => '］',
            '(' => '（',
            ')' => '）',
            '<' => '＜',
            '>' => '＞',
            '*' => '＊',
            '_' => '＿',
            '#' => '＃',
            '`' => '｀',
            '~' => '～',
            '|' => '｜',
            '!' => '！',
            '\\' => '＼',
            ':' => '：',
            '\n' | '\r' | '\t' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::card::Status;
    use crate::domain::metric::Direction;

    const LAYOUT: Layout<'static> = Layout { top_cards: 6, unusual_change_pct: 10.0, home_page: "pages/home/index" };

    fn card(title: &str, value: f64, display: &str, delta: f64, pct: f64, good: bool) -> CardDto {
        CardDto {
            id: 1,
            metric: "m".into(),
            title: title.into(),
            unit: String::new(),
            value: Some(value),
            display: display.into(),
            prev: Some(value - delta),
            delta: Some(delta),
            delta_pct: Some(pct),
            delta_display: Some(crate::domain::format::change(delta, Some(pct), "", 0)),
            prev_missing: None,
            prev_label: None,
            yoy_label: None,
            yoy_missing: None,
            yoy: None,
            yoy_delta: None,
            yoy_delta_pct: None,
            yoy_display: None,
            target: None,
            attainment: None,
            comparison: Comparison::Prev,
            direction: Direction::Up,
            good: Some(good),
            spark: Vec::new(),
            rank: None,
            peers: None,
            status: Status::Ok,
            records: None,
        }
    }

    #[test]
    fn a_records_backed_line_links_to_its_records() {
        let mut c = card("超期办件数", 3.0, "3件", 1.0, 50.0, false);
        c.records = Some("/api/v1/records/cases?org=2&overdue=true".into());
        let msg = briefing(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(), "明州市", &[c], LAYOUT);
        assert!(
            markdown(&msg).contains(
                "[明细](eapp://pages/records/index?link=%2Fapi%2Fv1%2Frecords%2Fcases%3Forg%3D2%26overdue%3Dtrue)"
            ),
            "{}",
            markdown(&msg)
        );
    }

    fn markdown(msg: &Message) -> &str {
        match msg {
            Message::ActionCard { action_card } => &action_card.markdown,
            _ => "",
        }
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn a_briefing_shows_the_date_the_cards_and_a_button_to_that_day() {
        let cards = [
            card("消息总数", 18_234.0, "1.82万", 2_234.0, 13.96, true),
            card("活跃人数", 900.0, "900", -200.0, -18.2, false),
            card("办件量", 100.0, "100", -1.0, -1.0, false),
        ];
        let msg = briefing(date(), "明州市", &cards, LAYOUT);
        let Message::ActionCard { action_card } = &msg else { panic!("not an action card") };
        assert_eq!(action_card.title, "每日简报 11月26日");
        assert_eq!(action_card.single_url, "eapp://pages/home/index?date=2026-11-26");
        let md = &action_card.markdown;
        assert!(md.contains("**明州市**"), "{md}");
        assert!(md.contains("- 消息总数 **1.82万** 环比↑14.0%\n"), "{md}");
        assert!(md.contains("- 活跃人数 **900** 环比↓18.2% ⚠\n"), "{md}");
        // A small unfavourable move is marked but not called out.
        assert!(md.contains("- 办件量 **100** 环比↓1.0% ⚠"), "{md}");
        assert!(md.contains("#### 需要关注\n- 活跃人数 环比↓18.2%"), "{md}");
        assert!(!md.contains("- 办件量 环比"), "{md}");
        assert!(msg.to_json().is_ok());
    }

    #[test]
    fn a_target_just_missed_does_not_read_as_reached() {
        let mut almost = card("按时办结率", 0.9796, "97.96%", 0.0, 0.0, false);
        almost.comparison = Comparison::Target;
        almost.target = Some(0.98);
        almost.attainment = Some(0.9796 / 0.98);
        let msg = briefing(date(), "明州市", &[almost], LAYOUT);
        assert!(markdown(&msg).contains("- 按时办结率 **97.96%** 目标达成99.9% ⚠"), "{}", markdown(&msg));
    }

    #[test]
    fn cards_that_do_not_fit_are_left_out_whole() {
        let long = "很长的指标名称".repeat(4);
        let cards: Vec<CardDto> = (0..60).map(|i| card(&format!("{long}{i}"), 1.0, "1", -1.0, -50.0, false)).collect();
        let msg = briefing(date(), "明州市", &cards, Layout { top_cards: 60, ..LAYOUT });
        assert!(wire_size(&msg) <= MAX_MSG_BYTES, "{}", wire_size(&msg));
        assert!(msg.to_json().is_ok());
        let md = markdown(&msg);
        let listed: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
        assert!(listed.len() > 3 && listed.len() < 60, "{}", listed.len());
        for line in listed {
            assert!(line.ends_with(" ⚠") || line.ends_with("变化较大"), "cut: {line}");
        }
    }

    #[test]
    fn a_briefing_says_which_day_it_compares_with_and_why_a_comparison_is_missing() {
        let mut monday = card("消息总数", 17_600.0, "1.8万条", 1_600.0, 10.0, true);
        monday.prev_label = Some("11月20日".into());
        let mut cases = card("办结量", 470.0, "470件", 0.0, 0.0, true);
        cases.comparison = Comparison::Yoy;
        cases.yoy_missing = Some(crate::domain::compare::Missing::Partial);
        let flat = card("活跃人数", 900.0, "900人", 0.0, 0.0, true);
        let mut yearly = card("办件量", 3_833.0, "3833件", 0.0, 0.0, true);
        yearly.comparison = Comparison::Yoy;
        yearly.yoy_display = Some("↑3.0%".into());
        yearly.yoy_delta = Some(111.0);
        yearly.yoy_delta_pct = Some(3.0);
        yearly.yoy_label = Some("2025年12月1日".into());
        let msg = briefing(date(), "明州市", &[monday, cases, flat, yearly], LAYOUT);
        let md = markdown(&msg);
        assert!(md.contains("- 办件量 **3833件** 同比↑3.0%（较2025年12月1日）"), "{md}");
        assert!(md.contains("- 消息总数 **1.8万条** 环比↑10.0%（较11月20日）"), "{md}");
        assert!(md.contains("- 办结量 **470件** 同比：上年同期数据不完整，不作比较"), "{md}");
        assert!(md.contains("- 活跃人数 **900人** 环比持平"), "{md}");
        assert!(!md.contains("↑-") && !md.contains("↓-") && !md.contains("+"), "one sign: {md}");
    }

    #[test]
    fn without_values_the_briefing_says_so() {
        let mut empty = card("消息总数", 0.0, "—", 0.0, 0.0, true);
        empty.value = None;
        let msg = briefing(date(), "临江市", &[empty], LAYOUT);
        assert!(markdown(&msg).contains("- 暂无数据"));
    }

    #[test]
    fn titles_and_names_cannot_make_links_or_markup() {
        let mut c = card("[点此核验](https://evil.example/x)", 0.5, "50%", 0.0, 0.0, true);
        c.title = "[点此核验](https://evil.example/x)\n# 标题 <b>*粗*</b>".into();
        let msg = briefing(date(), "明州市](http://x)", &[c], LAYOUT);
        let md = markdown(&msg);
        assert!(!md.contains("](") && !md.contains("://") && !md.contains("<b>"), "{md}");
        assert!(md.contains("［点此核验］（https：//evil.example/x）"), "{md}");
        assert!(!md.contains("\n# 标题"), "a title cannot start a heading: {md}");
    }

    #[test]
    fn the_same_content_has_the_same_hash() {
        let cards = [card("消息总数", 1.0, "1", 0.0, 0.0, true)];
        let a = content_hash(&briefing(date(), "明州市", &cards, LAYOUT));
        assert_eq!(a, content_hash(&briefing(date(), "明州市", &cards, LAYOUT)));
        assert_ne!(a, content_hash(&briefing(date(), "临江市", &cards, LAYOUT)));
        assert_eq!(a.len(), 64);
        let notice = delayed(date(), LAYOUT);
        assert!(markdown(&notice).contains("11月26日的数据尚未到齐"));
    }
}
