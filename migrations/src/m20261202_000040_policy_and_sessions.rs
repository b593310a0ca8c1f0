//! What the one authorization policy and revocable sessions need.
//!
//! - `card_sets.created_by`: an unassigned set belongs to the administrator who created it; a
//!   scoped administrator may not edit or delete another's draft.
//! - `audit_log.scope_org_id`: the narrowest org whose subtree holds everything an entry is
//!   about (`NULL`: province-wide), so that a scoped administrator reads only the entries about
//!   their own subtree.
//! - `sessions` and `refresh_tokens`: a sign-in is a session; access tokens name it, so logout
//!   or an administrator revokes it. Refresh tokens rotate on every use, and a token used twice
//!   revokes its whole session (the family), since one of the two users stole it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(CardSets::Table).add_column(integer_null(CardSets::CreatedBy)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(AuditLog::Table).add_column(integer_null(AuditLog::ScopeOrgId)).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_scope_org")
                    .table(AuditLog::Table)
                    .col(AuditLog::ScopeOrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Id).primary_key())
                    .col(integer(Sessions::UserId))
                    // `miniapp` (bearer) or `console` (cookie).
                    .col(string(Sessions::Client))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_null(Sessions::RevokedReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    // SHA-256 of the token, hex: the token itself is never stored.
                    .col(string(RefreshTokens::Hash).primary_key())
                    .col(string(RefreshTokens::SessionId))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_session")
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RefreshTokens::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Sessions::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_audit_log_scope_org").table(AuditLog::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(AuditLog::Table).drop_column(AuditLog::ScopeOrgId).to_owned()).await?;
        manager.alter_table(Table::alter().table(CardSets::Table).drop_column(CardSets::CreatedBy).to_owned()).await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CardSets {
    Table,
    CreatedBy,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    ScopeOrgId,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Client,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Hash,
    SessionId,
    CreatedAt,
    UsedAt,
}
