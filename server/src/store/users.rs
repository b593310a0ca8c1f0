//! Users, as login needs them.

use chrono::Utc;
use entities::user;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};

pub async fn by_userid<C: ConnectionTrait>(db: &C, userid: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::DingtalkUserid.eq(userid)).one(db).await
}

pub async fn touch_login<C: ConnectionTrait>(db: &C, u: user::Model) -> Result<(), DbErr> {
    let mut m = u.into_active_model();
    m.last_login_at = Set(Some(Utc::now().fixed_offset()));
    m.update(db).await?;
    Ok(())
}
