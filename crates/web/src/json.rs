//! JSON and form bodies whose errors name the field at fault.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::Error;

/// A JSON body. A wrong content type is 415; malformed JSON is 400; a field of the wrong
/// type is 400 naming that field.
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
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Json).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Error::bad_request(None, format!("the body is not valid JSON: {inner}"))
            } else if path == "." {
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
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(&bytes));
        serde_path_to_error::deserialize(de).map(Form).map_err(|err| {
            Error::bad_request(Some(&err.path().to_string()), err.inner().to_string())
        })
    }
}

fn form_urlencoded_parse(bytes: &[u8]) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(bytes)
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, Error> {
    axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
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
