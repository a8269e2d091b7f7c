//! Request data (JSON and form bodies, query strings) whose errors name the field at fault.
//! Every extractor here refuses control characters before a handler sees the text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use hearth_domain::FieldErrors;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;

/// Whether `c` may appear in text a request sends. PostgreSQL cannot store NUL, response
/// headers (redirects) cannot carry control characters, and no field needs one; tab, line
/// feed and carriage return are ordinary text in free-text fields. One-line values (emails,
/// names) refuse those three too, in their `domain` parse functions.
fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses `value` of `field` (a body, query or path field) if it holds a refused character.
pub(crate) fn refuse_control_characters(field: &str, value: &str) -> Result<(), Error> {
    if value.contains(is_refused) {
        let mut fields = FieldErrors::new();
        // The name may itself be the bad part; it is shown, so it is shown without them.
        let name: String =
            field.chars().map(|c| if is_refused(c) { '\u{fffd}' } else { c }).collect();
        fields.add(&name, "must not contain control characters (such as NUL)");
        return Err(Error::invalid(fields));
    }
    Ok(())
}

/// The first string (value or key) in `value` holding a refused character, by its path in
/// the notation of the deserializing errors (`licenses[0].region`).
fn refuse_in_json(value: &Value, at: &str) -> Result<(), Error> {
    match value {
        Value::String(text) => {
            refuse_control_characters(if at.is_empty() { "body" } else { at }, text)
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| refuse_in_json(item, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            let here = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            refuse_control_characters(&here, key)?;
            refuse_in_json(item, &here)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Refuses URL-encoded pairs (a form body or a query string) holding a refused character.
fn refuse_in_pairs(encoded: &[u8]) -> Result<(), Error> {
    form_urlencoded::parse(encoded).try_for_each(|(key, value)| {
        refuse_control_characters(&key, &key)?;
        refuse_control_characters(&key, &value)
    })
}

/// A JSON body. A wrong content type is 415; malformed JSON is 400; a field of the wrong
/// type is 400 naming that field; a control character is 422 naming its field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Error::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        // Parsed once into a tree to look at every string, then read into `T` from it.
        let tree: Value = serde_json::from_slice(&bytes).map_err(|err| {
            Error::bad_request(None, format!("the body is not valid JSON: {err}"))
        })?;
        refuse_in_json(&tree, "")?;
        serde_path_to_error::deserialize(tree).map(Json).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if path == "." {
                Error::bad_request(None, format!("the body has the wrong shape: {inner}"))
            } else {
                Error::bad_request(
                    Some(&path),
                    format!("{path}: {}", strip_position(&inner.to_string())),
                )
            }
        })
    }
}

/// A URL-encoded form body, with the same field-naming errors.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = body_bytes(req, state).await?;
        urlencoded(&bytes).map(Form)
    }
}

/// A URL-encoded form body as sent, for forms with repeated fields; its text is checked
/// like [`Form`]'s.
#[derive(Debug)]
pub struct RawForm(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawForm {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = body_bytes(req, state).await?;
        refuse_in_pairs(&bytes)?;
        Ok(RawForm(bytes))
    }
}

/// The query string, read like a form: a field of the wrong type is 400 naming it.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        urlencoded(parts.uri.query().unwrap_or_default().as_bytes()).map(Query)
    }
}

fn urlencoded<T: DeserializeOwned>(encoded: &[u8]) -> Result<T, Error> {
    refuse_in_pairs(encoded)?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let field = (path != ".").then_some(path.as_str());
        Error::bad_request(field, err.inner().to_string())
    })
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, Error> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Error::new(status, "payload_too_large", "the request body is too large")
        } else {
            Error::bad_request(None, "the request body could not be read")
        }
    })
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
