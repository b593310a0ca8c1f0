//! actix's `Query` and `Json` extractors, read through `serde_path_to_error`: a 400 names the
//! field at fault (`pageSize`, `cards[2].metric`) instead of leaving it to serde's message.
//! Everything else — the body limit, the content type, malformed JSON — is actix's, under the
//! `JsonConfig` set up in `startup`.

use std::future::{Ready, ready};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// The request's query string as `T`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// `query` as `T`; the error names the parameter that did not fit.
    pub fn parse(query: &str) -> Result<Query<T>, ApiError> {
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let param = named(e.path()).unwrap_or_else(|| "query".to_owned());
            ApiError::invalid(param, e.into_inner().to_string())
        })
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Query<T>, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Query::parse(req.query_string()))
    }
}

/// The request's JSON body as `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// `json` (well-formed already) as `T`; the error names the field that did not fit.
    fn parse(json: &str) -> Result<Json<T>, ApiError> {
        let mut de = serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(&mut de).map(Json).map_err(|e| {
            let param = named(e.path());
            let reason = e.into_inner().to_string();
            match param {
                Some(param) => ApiError::InvalidBodyField { param, reason },
                None => ApiError::InvalidBody(format!("invalid JSON body: {reason}")),
            }
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Json<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // actix reads the body (limit, content type, syntax) and keeps its text; serde then
        // reads that text once more, into `T`, minding the path.
        let raw = web::Json::<Box<RawValue>>::from_request(req, payload);
        Box::pin(async move {
            let raw = raw.await?;
            Ok(Json::parse(raw.get())?)
        })
    }
}

/// The path serde was at, when it was inside the value (`.` is the value itself).
fn named(path: &serde_path_to_error::Path) -> Option<String> {
    let path = path.to_string();
    (path != "." && !path.is_empty()).then_some(path)
}

macro_rules! wrapper {
    ($name:ident) => {
        impl<T> $name<T> {
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    };
}

wrapper!(Query);
wrapper!(Json);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Page {
        page_size: Option<u32>,
        #[allow(dead_code)]
        q: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Card {
        #[allow(dead_code)]
        metric: String,
        #[allow(dead_code)]
        target: Option<f64>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Set {
        #[allow(dead_code)]
        cards: Vec<Card>,
    }

    fn param(e: ApiError) -> Option<String> {
        e.param().map(str::to_owned)
    }

    #[test]
    fn a_query_error_names_its_parameter() {
        assert_eq!(Query::<Page>::parse("pageSize=20&q=x").unwrap().page_size, Some(20));
        assert_eq!(param(Query::<Page>::parse("pageSize=many").unwrap_err()).as_deref(), Some("pageSize"));
        assert_eq!(param(Query::<Page>::parse("pagesize=1").unwrap_err()).as_deref(), Some("pagesize"));
    }

    #[test]
    fn a_body_error_names_its_field_path() {
        let err = Json::<Set>::parse(r#"{"cards":[{"metric":"a"},{"metric":"b","target":"high"}]}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_body");
        assert_eq!(param(err).as_deref(), Some("cards[1].target"));
        let err = Json::<Set>::parse("7").unwrap_err();
        assert_eq!((err.code(), err.param()), ("invalid_body", None));
    }
}
