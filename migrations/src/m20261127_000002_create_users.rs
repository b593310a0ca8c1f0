//! People: DingTalk users, their memberships, and the org subtrees they may see.
//!
//! Only profile-completeness flags are stored, never phone numbers or e-mail addresses.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_create_orgs::Orgs;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string_uniq(Users::DingtalkUserid))
                    .col(string_null(Users::Unionid))
                    .col(string(Users::Name))
                    .col(string_null(Users::Title))
                    .col(string(Users::Role).default("viewer"))
                    .col(boolean(Users::Active).default(true))
                    .col(boolean(Users::HasName).default(false))
                    .col(boolean(Users::HasTitle).default(false))
                    .col(boolean(Users::HasMobile).default(false))
                    .col(boolean(Users::HasAvatar).default(false))
                    .col(boolean(Users::HasEmail).default(false))
                    .col(boolean(Users::HasJobNumber).default(false))
                    .col(boolean(Users::HasPosition).default(false))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_users_unionid").table(Users::Table).col(Users::Unionid).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserOrgs::Table)
                    .col(integer(UserOrgs::UserId))
                    .col(integer(UserOrgs::OrgId))
                    .col(boolean(UserOrgs::Leader).default(false))
                    .primary_key(Index::create().col(UserOrgs::UserId).col(UserOrgs::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_orgs_user")
                            .from(UserOrgs::Table, UserOrgs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_orgs_org")
                            .from(UserOrgs::Table, UserOrgs::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_user_orgs_org").table(UserOrgs::Table).col(UserOrgs::OrgId).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Scopes::Table)
                    .col(integer(Scopes::UserId))
                    .col(integer(Scopes::OrgId))
                    // `dingtalk` for scopes derived by the directory sync, `admin` for grants.
                    .col(string(Scopes::Source))
                    .col(integer_null(Scopes::GrantedBy))
                    .col(timestamp_with_time_zone(Scopes::GrantedAt))
                    .primary_key(Index::create().col(Scopes::UserId).col(Scopes::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scopes_user")
                            .from(Scopes::Table, Scopes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scopes_org")
                            .from(Scopes::Table, Scopes::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Scopes::Table.into_iden(), UserOrgs::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    DingtalkUserid,
    Unionid,
    Name,
    Title,
    Role,
    Active,
    HasName,
    HasTitle,
    HasMobile,
    HasAvatar,
    HasEmail,
    HasJobNumber,
    HasPosition,
    LastLoginAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserOrgs {
    Table,
    UserId,
    OrgId,
    Leader,
}

#[derive(DeriveIden)]
enum Scopes {
    Table,
    UserId,
    OrgId,
    Source,
    GrantedBy,
    GrantedAt,
}
