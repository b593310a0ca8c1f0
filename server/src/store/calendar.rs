//! The working-day calendar's exceptions.

use chrono::NaiveDate;
use entities::calendar;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::calendar::{DayKind, WorkCalendar};
use crate::store::StoreError;

/// A stored exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

impl From<calendar::Model> for Day {
    fn from(r: calendar::Model) -> Day {
        Day { date: r.day, kind: r.kind, name: r.name }
    }
}

/// Exceptions between `from` and `to`, inclusive.
pub async fn between<C: ConnectionTrait>(db: &C, from: NaiveDate, to: NaiveDate) -> Result<Vec<Day>, StoreError> {
    let rows = calendar::Entity::find()
        .filter(calendar::Column::Day.gte(from))
        .filter(calendar::Column::Day.lte(to))
        .order_by_asc(calendar::Column::Day)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Day::from).collect())
}

/// The calendar around `day` (a year either side is plenty for any question asked of it).
pub async fn around<C: ConnectionTrait>(db: &C, day: NaiveDate) -> Result<WorkCalendar, StoreError> {
    let from = day - chrono::Days::new(400);
    let to = day + chrono::Days::new(400);
    Ok(WorkCalendar::new(between(db, from, to).await?.into_iter().map(|d| (d.date, d.kind))))
}

/// Adds or replaces exceptions.
pub async fn upsert<C: ConnectionTrait>(db: &C, days: &[Day]) -> Result<(), StoreError> {
    for chunk in days.chunks(300) {
        let rows = chunk.iter().map(|d| calendar::ActiveModel {
            day: Set(d.date),
            kind: Set(d.kind),
            name: Set(d.name.clone()),
        });
        calendar::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(calendar::Column::Day)
                    .update_columns([calendar::Column::Kind, calendar::Column::Name])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Removes exceptions: those days follow the Monday-to-Friday rule again.
pub async fn remove<C: ConnectionTrait>(db: &C, dates: &[NaiveDate]) -> Result<u64, StoreError> {
    if dates.is_empty() {
        return Ok(0);
    }
    let result =
        calendar::Entity::delete_many().filter(calendar::Column::Day.is_in(dates.iter().copied())).exec(db).await?;
    Ok(result.rows_affected)
}

/// Every stored exception (a few dozen a year).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<Day>, StoreError> {
    let rows = calendar::Entity::find().order_by_asc(calendar::Column::Day).all(db).await?;
    Ok(rows.into_iter().map(Day::from).collect())
}
