//! Short-lived HS256 tokens: issuer, audience and expiry checked, the algorithm pinned, and a
//! key id in the header so that two keys are accepted during a rotation.

use chrono::{DateTime, Utc};
use entities::ids::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user's id in Canmou.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The session the token belongs to: revoking it ends the token.
    pub sid: String,
}

impl Claims {
    /// The id the token was issued for: a user's, or an open-data application's.
    pub fn subject(&self) -> Option<i32> {
        self.sub.parse().ok()
    }

    /// The user of a mini-program or console token.
    pub fn user_id(&self) -> Option<UserId> {
        self.subject().map(UserId)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

struct Key {
    id: String,
    decoding: DecodingKey,
}

/// The signing key and every key still accepted.
pub struct JwtKeys {
    signing_id: String,
    encoding: EncodingKey,
    accepted: Vec<Key>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl JwtKeys {
    pub fn from_settings(auth: &AuthSettings) -> JwtKeys {
        let secret = auth.jwt_secret.expose_secret().as_bytes();
        let mut accepted = vec![Key { id: auth.jwt_key_id.clone(), decoding: DecodingKey::from_secret(secret) }];
        let previous = auth.jwt_previous_secret.expose_secret();
        if !previous.is_empty() {
            accepted.push(Key {
                id: auth.jwt_previous_key_id.clone(),
                decoding: DecodingKey::from_secret(previous.as_bytes()),
            });
        }
        // Only HS256: a token claiming `none` or an RSA algorithm is refused before any check.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&auth.jwt_issuer]);
        validation.set_audience(&[&auth.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            signing_id: auth.jwt_key_id.clone(),
            encoding: EncodingKey::from_secret(secret),
            accepted,
            validation,
            issuer: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
            ttl_secs: i64::try_from(auth.token_ttl_secs).unwrap_or(7200),
        }
    }

    /// A token for `subject` (a user, or an open-data application), valid from `now` for the
    /// configured lifetime.
    pub fn issue(
        &self,
        subject: i32,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), TokenError> {
        let exp = now + chrono::Duration::seconds(self.ttl_secs);
        let claims = Claims {
            sub: subject.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
            sid: session.to_owned(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_id.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((token, exp))
    }

    /// Checks signature, algorithm, key id, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = match header.kid.as_deref() {
            Some(kid) => self.accepted.iter().find(|k| k.id == kid).ok_or(TokenError::UnknownKey)?,
            None => return Err(TokenError::UnknownKey),
        };
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map(|d| d.claims).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Settings;

    fn keys() -> JwtKeys {
        JwtKeys::from_settings(&Settings::default().auth)
    }

    #[test]
    fn a_token_round_trips() {
        let k = keys();
        let (token, exp) = k.issue(42, "s1", Utc::now()).unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(claims.user_id(), Some(UserId(42)));
        assert_eq!(claims.exp, exp.timestamp());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = keys();
        let (token, _) = k.issue(1, "s1", Utc::now() - chrono::Duration::hours(3)).unwrap();
        assert_eq!(k.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let k = keys();
        let (token, _) = k.issue(1, "s1", Utc::now()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        // Another payload under the same signature.
        let (other, _) = k.issue(2, "s1", Utc::now()).unwrap();
        parts[1] = other.split('.').nth(1).unwrap().to_owned();
        assert!(matches!(k.verify(&parts.join(".")), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn the_previous_key_is_accepted_during_a_rotation() {
        let mut old = Settings::default().auth;
        old.jwt_secret = "old-secret-old-secret-old-secret!".to_owned().into();
        old.jwt_key_id = "k0".into();
        let (token, _) = JwtKeys::from_settings(&old).issue(7, "s1", Utc::now()).unwrap();

        let mut rotated = Settings::default().auth;
        rotated.jwt_previous_secret = "old-secret-old-secret-old-secret!".to_owned().into();
        rotated.jwt_previous_key_id = "k0".into();
        assert_eq!(JwtKeys::from_settings(&rotated).verify(&token).unwrap().user_id(), Some(UserId(7)));
        // Once the rotation is over, the old key is unknown.
        assert_eq!(keys().verify(&token), Err(TokenError::UnknownKey));
    }
}
