//! The records behind the government-service numbers (`detail-feed.md`): catalogue entries
//! (目录), service items (事项) and cases (办件), synced from the upstream detail feed; the
//! column sets users save for their record tables (自定义表头); and the catalogue's metrics
//! computed from the records.
//!
//! Records keep the platform's id as primary key (a correction is an upsert on it); dates are
//! day numbers and instants Unix seconds, like `facts`, so that range filters and keyset
//! paging compare integers. Names are kept beside codes (a case carries its item's name) so
//! that search and exports need no join.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A metric computed from the records: (code, name, unit, kind, part kind, direction,
/// precision, 口径).
pub type RecordMetric =
    (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, &'static str, i16, &'static str);

/// The metrics computed from the records.
pub const RECORD_METRICS: &[RecordMetric] = &[
    ("records.catalog_total", "目录数", "项", "last", None, "up", 0, "期末在册目录数(不含已取消),由目录明细统计"),
    (
        "records.catalog_published",
        "已发布目录数",
        "项",
        "last",
        None,
        "up",
        0,
        "期末状态为已发布的目录数,由目录明细统计",
    ),
    ("records.items_total", "事项数(明细)", "项", "last", None, "up", 0, "期末实施事项数,由事项明细统计"),
    ("records.items_implemented", "已实施事项数(明细)", "项", "last", None, "up", 0, "期末实施状态为已实施的事项数"),
    (
        "records.implementation_rate",
        "实施进度(明细)",
        "%",
        "ratio",
        Some("last"),
        "up",
        1,
        "已实施事项数 / 事项数,由事项明细统计",
    ),
    (
        "records.decomposition_rate",
        "拆解进度(明细)",
        "%",
        "ratio",
        Some("last"),
        "up",
        1,
        "已拆解或已实施事项数 / 事项数",
    ),
    ("records.mobile_rate", "掌上可办率", "%", "ratio", Some("last"), "up", 1, "掌上可办事项数 / 事项数"),
    ("records.zero_visit_rate", "跑零次率", "%", "ratio", Some("last"), "up", 1, "跑零次事项数 / 事项数"),
    (
        "records.field_sharing_rate",
        "字段共享率(明细)",
        "%",
        "ratio",
        Some("last"),
        "up",
        1,
        "各事项共享字段数之和 / 字段总数之和",
    ),
    (
        "records.material_sharing_rate",
        "材料共享率(明细)",
        "%",
        "ratio",
        Some("last"),
        "up",
        1,
        "各事项共享材料数之和 / 材料总数之和",
    ),
    (
        "records.cases_completed",
        "办结量(明细)",
        "件",
        "sum",
        None,
        "up",
        0,
        "期内办结(含不予受理、退回)的办件数,按办结日期统计",
    ),
    (
        "records.cases_overdue",
        "超期办件数",
        "件",
        "sum",
        None,
        "down",
        0,
        "期内办结且已用工作日超过承诺时限(无承诺时按法定时限)的办件数",
    ),
    ("records.overdue_rate", "超期率", "%", "ratio", Some("sum"), "down", 1, "超期办件数 / 办结量"),
    (
        "records.avg_working_days",
        "平均办理工作日",
        "天",
        "ratio",
        Some("sum"),
        "down",
        2,
        "办结办件已用工作日之和 / 办结量",
    ),
    ("records.good_rate", "好评率(明细)", "%", "ratio", Some("sum"), "up", 1, "评分4–5的办件数 / 有评分的办结办件数"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecordCatalog::Table)
                    .col(string(RecordCatalog::Id).primary_key())
                    .col(integer(RecordCatalog::OrgId))
                    .col(string(RecordCatalog::Code))
                    .col(string(RecordCatalog::Name))
                    // `province`, `city` or `county`.
                    .col(string(RecordCatalog::Level))
                    .col(string(RecordCatalog::Category))
                    // `draft`, `published`, `suspended` or `cancelled`.
                    .col(string(RecordCatalog::Status))
                    .col(integer_null(RecordCatalog::StatusDay))
                    .col(big_integer(RecordCatalog::UpdatedAt))
                    .foreign_key(&mut fk("fk_record_catalog_org", RecordCatalog::Table, RecordCatalog::OrgId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_record_catalog_org_code",
            RecordCatalog::Table,
            &[RecordCatalog::OrgId, RecordCatalog::Code],
        )
        .await?;
        index(manager, "idx_record_catalog_code", RecordCatalog::Table, &[RecordCatalog::Code]).await?;

        manager
            .create_table(
                Table::create()
                    .table(RecordItems::Table)
                    .col(string(RecordItems::Id).primary_key())
                    .col(integer(RecordItems::OrgId))
                    .col(string(RecordItems::Code))
                    .col(string(RecordItems::Name))
                    .col(string(RecordItems::CatalogCode))
                    // `not_started`, `decomposed` or `implemented`.
                    .col(string(RecordItems::Implementation))
                    .col(small_integer(RecordItems::OnlineLevel))
                    .col(boolean(RecordItems::Mobile))
                    .col(boolean(RecordItems::ZeroVisit))
                    .col(integer(RecordItems::SharedFields))
                    .col(integer(RecordItems::TotalFields))
                    .col(integer(RecordItems::SharedMaterials))
                    .col(integer(RecordItems::TotalMaterials))
                    .col(integer_null(RecordItems::ImplementedDay))
                    .col(big_integer(RecordItems::UpdatedAt))
                    .foreign_key(&mut fk("fk_record_items_org", RecordItems::Table, RecordItems::OrgId))
                    .to_owned(),
            )
            .await?;
        index(manager, "idx_record_items_org_code", RecordItems::Table, &[RecordItems::OrgId, RecordItems::Code])
            .await?;
        index(manager, "idx_record_items_code", RecordItems::Table, &[RecordItems::Code]).await?;

        manager
            .create_table(
                Table::create()
                    .table(RecordCases::Table)
                    .col(string(RecordCases::Id).primary_key())
                    .col(integer(RecordCases::OrgId))
                    .col(string(RecordCases::CaseNo))
                    .col(string(RecordCases::ItemCode))
                    // The item's name when the case was stored: search and exports need no join.
                    .col(string(RecordCases::ItemName))
                    // `window`, `online` or `mobile`.
                    .col(string(RecordCases::Channel))
                    // `person` or `legal_person`.
                    .col(string(RecordCases::ApplicantKind))
                    .col(big_integer(RecordCases::AcceptedAt))
                    .col(integer(RecordCases::AcceptedDay))
                    .col(big_integer_null(RecordCases::CompletedAt))
                    .col(integer_null(RecordCases::CompletedDay))
                    .col(integer(RecordCases::LegalDays))
                    .col(integer_null(RecordCases::PromisedDays))
                    .col(integer(RecordCases::WorkingDays))
                    // `completed`, `rejected`, `returned` or `open`.
                    .col(string(RecordCases::Result))
                    .col(small_integer_null(RecordCases::Rating))
                    // Computed on storing: working days over the promise (or the legal limit).
                    .col(boolean(RecordCases::Overdue))
                    .col(big_integer(RecordCases::UpdatedAt))
                    .foreign_key(&mut fk("fk_record_cases_org", RecordCases::Table, RecordCases::OrgId))
                    .to_owned(),
            )
            .await?;
        // The list's default order within an org subtree, and the statistics by completion day.
        index(
            manager,
            "idx_record_cases_org_accepted",
            RecordCases::Table,
            &[RecordCases::OrgId, RecordCases::AcceptedAt, RecordCases::Id],
        )
        .await?;
        index(manager, "idx_record_cases_accepted", RecordCases::Table, &[RecordCases::AcceptedAt, RecordCases::Id])
            .await?;
        index(
            manager,
            "idx_record_cases_completed",
            RecordCases::Table,
            &[RecordCases::CompletedDay, RecordCases::OrgId],
        )
        .await?;
        index(manager, "idx_record_cases_case_no", RecordCases::Table, &[RecordCases::CaseNo]).await?;
        index(manager, "idx_record_cases_item", RecordCases::Table, &[RecordCases::ItemCode]).await?;

        manager
            .create_table(
                Table::create()
                    .table(UserColumns::Table)
                    .col(integer(UserColumns::UserId))
                    // `catalog`, `items` or `cases`.
                    .col(string(UserColumns::Kind))
                    // A JSON array of column keys, in display order.
                    .col(text(UserColumns::Columns))
                    .col(timestamp_with_time_zone(UserColumns::UpdatedAt))
                    .primary_key(Index::create().col(UserColumns::UserId).col(UserColumns::Kind))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_columns_user")
                            .from(UserColumns::Table, UserColumns::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        let mut insert = Query::insert()
            .into_table(Metrics::Table)
            .columns([
                Metrics::Code,
                Metrics::Name,
                Metrics::Unit,
                Metrics::Kind,
                Metrics::PartKind,
                Metrics::Direction,
                Metrics::Precision,
                Metrics::Category,
                Metrics::Description,
                Metrics::Source,
                Metrics::Active,
            ])
            .to_owned();
        for (code, name, unit, kind, part, direction, precision, description) in RECORD_METRICS {
            insert
                .values([
                    (*code).into(),
                    (*name).into(),
                    (*unit).into(),
                    (*kind).into(),
                    (*part).into(),
                    (*direction).into(),
                    (*precision).into(),
                    "service".into(),
                    (*description).into(),
                    "records".into(),
                    true.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DELETE FROM facts WHERE metric_id IN (SELECT id FROM metrics WHERE source = 'records')",
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Metrics::Table)
                    .and_where(Expr::col(Metrics::Source).eq("records"))
                    .to_owned(),
            )
            .await?;
        for table in [
            UserColumns::Table.into_iden(),
            RecordCases::Table.into_iden(),
            RecordItems::Table.into_iden(),
            RecordCatalog::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

fn fk<T: IntoIden + Clone + 'static, C: IntoIden + Clone + 'static>(
    name: &str,
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(table, col).to(Orgs::Table, Orgs::Id).to_owned()
}

async fn index<T: IntoIden + Clone + 'static, C: IntoIden + Clone + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut i = Index::create().name(name).table(table).to_owned();
    for c in cols {
        i.col(c.clone());
    }
    manager.create_index(i).await
}

#[derive(DeriveIden, Clone)]
enum RecordCatalog {
    Table,
    Id,
    OrgId,
    Code,
    Name,
    Level,
    Category,
    Status,
    StatusDay,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum RecordItems {
    Table,
    Id,
    OrgId,
    Code,
    Name,
    CatalogCode,
    Implementation,
    OnlineLevel,
    Mobile,
    ZeroVisit,
    SharedFields,
    TotalFields,
    SharedMaterials,
    TotalMaterials,
    ImplementedDay,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum RecordCases {
    Table,
    Id,
    OrgId,
    CaseNo,
    ItemCode,
    ItemName,
    Channel,
    ApplicantKind,
    AcceptedAt,
    AcceptedDay,
    CompletedAt,
    CompletedDay,
    LegalDays,
    PromisedDays,
    WorkingDays,
    Result,
    Rating,
    Overdue,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum UserColumns {
    Table,
    UserId,
    Kind,
    Columns,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Metrics {
    Table,
    Code,
    Name,
    Unit,
    Kind,
    PartKind,
    Direction,
    Precision,
    Category,
    Description,
    Source,
    Active,
}
