//! `/api/v1/admin/...`: administrators curate card sets, manage users and scopes, edit the
//! catalogue, preview any user's home screen and read the audit log — each only inside their
//! own scope. Every change is written to the audit log with the state before and after.

pub mod audit;
pub mod boards;
pub mod card_sets;
pub mod console;
pub mod metrics;
pub mod open_apps;
pub mod preview;
pub mod users;

use actix_web::{HttpMessage, HttpRequest};
use entities::ids::OrgId;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::state::{AppState, Snapshot};
use crate::store::users::Managed;
use crate::store::{audit as audit_store, facts};

/// Checks a payload with its `validator` rules; the first failure names its field the way the
/// client wrote it (`cards[2].sparkLen`).
pub fn check<T: Validate>(payload: &T) -> Result<(), ApiError> {
    payload.validate().map_err(|errors| {
        let (param, reason) = first_error(&errors, "").unwrap_or_else(|| ("body".into(), "invalid".into()));
        ApiError::invalid(param, reason)
    })
}

fn first_error(errors: &ValidationErrors, prefix: &str) -> Option<(String, String)> {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let name = camel(field);
        let path = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        let found = match kind {
            ValidationErrorsKind::Field(errs) => errs.first().map(|e| {
                let reason = e.message.as_ref().map_or_else(|| e.code.to_string(), ToString::to_string);
                (path.clone(), reason)
            }),
            ValidationErrorsKind::Struct(inner) => first_error(inner, &path),
            ValidationErrorsKind::List(items) => {
                items.iter().next().and_then(|(i, inner)| first_error(inner, &format!("{path}[{i}]")))
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// An org named in a request: it must exist, and the policy must allow `action` on it.
pub fn org_allowed(
    snap: &Snapshot,
    admin: &AdminUser,
    action: Action,
    param: &str,
    org: OrgId,
) -> Result<(), ApiError> {
    if snap.orgs.get(org).is_none() {
        return Err(ApiError::invalid(param, format!("org {org} does not exist")));
    }
    policy::can(snap, admin, action, Target::Orgs(&[org])).map_err(|d| d.at(param))
}

/// Every org a user is attached to (memberships and scope roots), as the policy weighs them.
pub fn user_orgs(user: &Managed) -> Vec<OrgId> {
    user.orgs().collect()
}

/// Whether the policy allows `action` on this user.
pub fn user_allowed(snap: &Snapshot, admin: &AdminUser, action: Action, user: &Managed) -> Result<(), policy::Denied> {
    policy::can(snap, admin, action, Target::User { id: user.user.id, orgs: &user_orgs(user) })
}

/// Writes one audit entry for an administrator's change.
/// `about` names the orgs the change concerns: the entry is filed under their narrowest common
/// org, so that administrators of that subtree read it (empty: province-wide).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    state: &AppState,
    req: &HttpRequest,
    admin: &AdminUser,
    action: &str,
    target: String,
    about: &[OrgId],
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    let scope_org = policy::anchor(&state.snapshot(), about);
    audit_store::record(
        &state.db,
        audit_store::Entry {
            actor_id: Some(admin.id),
            actor: &admin.name,
            action,
            target,
            before,
            after,
            request_id,
            scope_org,
        },
    )
    .await?;
    Ok(())
}

/// After a change users can see: moves the data version (other instances reload too) and
/// reloads this instance's snapshot now.
pub async fn publish_change(state: &AppState) -> Result<(), ApiError> {
    facts::bump_data_version(&state.db).await?;
    state.reload().await.map_err(|e| ApiError::Internal(e.context("reloading after an admin change")))?;
    Ok(())
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_written_as_the_client_writes_them() {
        assert_eq!(camel("spark_len"), "sparkLen");
        assert_eq!(camel("name"), "name");
        assert_eq!(camel("default_grain"), "defaultGrain");
    }
}
