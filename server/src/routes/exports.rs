//! `GET /api/v1/exports/{home|series|breakdown}.{csv|xlsx}`: the same views as the screens, as
//! files. Every export is written to the audit log.

use actix_web::http::header::{self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::domain::format;
use crate::domain::org_tree::{OrgId, OrgKind};
use crate::domain::period::Grain;
use crate::error::ApiError;
use crate::export::{self, Table};
use crate::routes::metric::default_trend_len;
use crate::state::AppState;
use crate::store::audit;
use crate::views::params::{self, Order};
use crate::views::{breakdown, cards, series};

/// Every parameter any export takes; each export checks the ones it needs.
#[derive(Debug, Default, Deserialize, Clone, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The metric, for `series` and `breakdown`.
    metric: Option<String>,
    #[param(value_type = Option<String>)]
    org: Option<OrgId>,
    #[param(value_type = Option<String>)]
    grain: Option<Grain>,
    #[serde(default, deserialize_with = "params::day")]
    #[param(value_type = Option<String>)]
    date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "params::day")]
    #[param(value_type = Option<String>)]
    from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "params::day")]
    #[param(value_type = Option<String>)]
    to: Option<NaiveDate>,
    #[param(value_type = Option<String>)]
    by: Option<OrgKind>,
    #[param(value_type = Option<String>)]
    order: Option<Order>,
}

/// As the audit log has always recorded an export's parameters: each one as text.
impl serde::Serialize for ExportQuery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Recorded<'a> {
            metric: Option<&'a str>,
            org: Option<String>,
            grain: Option<&'static str>,
            date: Option<String>,
            from: Option<String>,
            to: Option<String>,
            by: Option<&'static str>,
            order: Option<&'static str>,
        }
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        Recorded {
            metric: self.metric.as_deref(),
            org: self.org.map(|o| o.to_string()),
            grain: self.grain.map(Grain::as_str),
            date: day(self.date),
            from: day(self.from),
            to: day(self.to),
            by: self.by.map(OrgKind::as_str),
            order: self.order.map(Order::as_str),
        }
        .serialize(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

fn parse_name(name: &str) -> Result<(&str, Format), ApiError> {
    let (kind, ext) = name.rsplit_once('.').ok_or_else(|| ApiError::NotFound(format!("no export `{name}`")))?;
    let format = match ext {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => return Err(ApiError::NotFound(format!("no export format `{ext}`: csv or xlsx"))),
    };
    match kind {
        "home" | "series" | "breakdown" => Ok((kind, format)),
        _ => Err(ApiError::NotFound(format!("no export `{kind}`: home, series or breakdown"))),
    }
}

/// A table of the home cards, a series or a breakdown.
#[utoipa::path(
    get,
    path = "/api/v1/exports/{name}",
    params(("name" = String, Path, description = "home.csv, home.xlsx, series.csv, series.xlsx, breakdown.csv or breakdown.xlsx"), ExportQuery),
    responses((status = 200, description = "The file; X-Export-Truncated says when rows were left out"), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(rest) = name.strip_prefix("records-")
        && let Some((kind, ext)) = rest.rsplit_once('.')
    {
        return crate::routes::records::export(&req, state, user, kind, ext).await;
    }
    // Read here, not by the extractor: a records export reads its own parameters.
    let q = crate::routes::extract::Query::<ExportQuery>::parse(req.query_string())?;
    let (kind, format) = parse_name(&name)?;
    let snap = state.snapshot();
    let org = params::org(&snap, &user, q.org)?;
    let today = state.today();
    let default_grain = snap
        .card_sets
        .resolve(user.id, user.scopes.first().copied(), &snap.orgs)
        .map_or(crate::domain::period::Grain::Day, |s| s.default_grain);
    let grain = q.grain.unwrap_or(default_grain);
    let metric = || -> Result<_, ApiError> {
        let code = q.metric.as_deref().ok_or_else(|| ApiError::invalid("metric", "required for this export"))?;
        params::metric(&snap, code)
    };
    let (table, file_stem) = match kind {
        "home" => {
            let set = snap
                .card_sets
                .resolve(user.id, user.scopes.first().copied(), &snap.orgs)
                .ok_or_else(|| ApiError::NotFound("no card set is configured".into()))?;
            let period = params::period(&snap, q.date, grain, today)?;
            let home = cards::home(&state.db, &snap, set, org, period, today).await?;
            let mut t = Table::new(
                "首页指标",
                vec![
                    "指标",
                    "单位",
                    "数值",
                    "显示",
                    "上期",
                    "环比变化",
                    "同期",
                    "同比变化",
                    "目标",
                    "排名",
                    "同级数",
                    "状态",
                ],
            );
            for c in home.cards {
                let precision = snap.catalogue.by_code(&c.metric).map_or(2, |m| m.precision);
                let v = |x: Option<f64>| x.map(|x| format::at_precision(x, &c.unit, precision));
                t.push(vec![
                    c.title.clone().into(),
                    c.unit.clone().into(),
                    v(c.value).into(),
                    c.display.clone().into(),
                    v(c.prev).into(),
                    c.delta_display.clone().unwrap_or_default().into(),
                    v(c.yoy).into(),
                    c.yoy_display.clone().unwrap_or_default().into(),
                    v(c.target).into(),
                    c.rank.map(|r| r as f64).into(),
                    c.peers.map(|r| r as f64).into(),
                    c.status.label_zh().into(),
                ]);
            }
            (t, format!("首页指标_{}_{}", org.name, period.label()))
        }
        "series" => {
            let m = metric()?;
            let (from, to) = params::range(&snap, (q.from, q.to), grain, today, default_trend_len(grain))?;
            let mut t = Table::new(m.name.clone(), vec!["周期", "开始日期", "数值", "显示", "分子", "分母"]);
            for p in series::points(&state.db, &m, org.id, from, to).await? {
                t.push(vec![
                    p.label.into(),
                    p.start.into(),
                    p.value.map(|x| format::at_precision(x, &m.unit, m.precision)).into(),
                    p.display.into(),
                    p.num.map(|x| format::rounded(x, 2)).into(),
                    p.den.map(|x| format::rounded(x, 2)).into(),
                ]);
            }
            (t, format!("{}_{}_{}至{}", m.name, org.name, from.label(), to.label()))
        }
        _ => {
            let m = metric()?;
            let period = params::period(&snap, q.date, grain, today)?;
            let by = q.by.unwrap_or_else(|| breakdown::default_by(&snap.orgs, org.id));
            let order = q.order.unwrap_or_default();
            let b =
                breakdown::compute(&state.db, &snap, &m, org, period, breakdown::Spec { by, order, limit: usize::MAX })
                    .await?;
            let mut t =
                Table::new(m.name.clone(), vec!["排名", "机构", "数值", "显示", "上期", "变化", "变化率(%)", "环比"]);
            let v = |x: Option<f64>| x.map(|x| format::at_precision(x, &m.unit, m.precision));
            for i in b.items {
                t.push(vec![
                    i.rank.map(|r| r as f64).into(),
                    i.org.name.into(),
                    v(i.value).into(),
                    i.display.into(),
                    v(i.prev).into(),
                    v(i.delta).into(),
                    i.delta_pct.map(|x| format::rounded(x, 1)).into(),
                    i.delta_display.unwrap_or_default().into(),
                ]);
            }
            (t, format!("{}_{}_{}", m.name, org.name, period.label()))
        }
    };
    let (bytes, ext, mime) = match format {
        Format::Csv => (export::csv(&table)?, "csv", "text/csv; charset=utf-8"),
        Format::Xlsx => {
            (export::xlsx(&table)?, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        }
    };
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    audit::record(
        &state.db,
        audit::Entry {
            actor_id: Some(user.id),
            actor: &user.name,
            action: "export",
            target: format!("{kind}.{ext}"),
            before: None,
            after: serde_json::to_value(&*q).ok().map(|mut v| {
                v["rows"] = table.rows.len().into();
                v
            }),
            request_id,
            scope_org: Some(org.id),
        },
    )
    .await?;
    let file_name = format!("{file_stem}.{ext}");
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(format!("export.{ext}")),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file_name.into_bytes(),
            }),
        ],
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, mime))
        .insert_header(disposition)
        .insert_header(("X-Export-Rows", table.rows.len().to_string()))
        .insert_header(("X-Export-Row-Cap", export::MAX_ROWS.to_string()));
    if table.truncated > 0 {
        res.insert_header(("X-Export-Truncated", table.truncated.to_string()));
    }
    Ok(res.body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_checked() {
        assert!(matches!(parse_name("home.csv"), Ok(("home", Format::Csv))));
        assert!(matches!(parse_name("breakdown.xlsx"), Ok(("breakdown", Format::Xlsx))));
        assert!(parse_name("home.pdf").is_err());
        assert!(parse_name("secrets.csv").is_err());
        assert!(parse_name("home").is_err());
    }
}
