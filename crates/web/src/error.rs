use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_app::AppError;
use hearth_domain::FieldErrors;
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The web layer's one error type. Its `IntoResponse` is the only place that picks status
/// codes; pages turn the same answer into HTML through `ErrorBody` (see `templates`).
#[derive(Debug)]
pub struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Option<FieldErrors>,
    retry_after: Option<u64>,
}

/// The JSON body of every error (API.md), also left on the response for the HTML layer.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

impl Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: None, retry_after: None }
    }

    pub fn invalid(fields: FieldErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("some fields are not valid: {}", fields.summary()),
            fields: Some(fields),
            retry_after: None,
        }
    }

    pub fn bad_request(field: Option<&str>, message: impl Into<String>) -> Self {
        let message = message.into();
        let fields = field.map(|name| {
            let mut f = FieldErrors::new();
            f.add(name, &message);
            f
        });
        Self { fields, ..Self::new(StatusCode::BAD_REQUEST, "bad_request", message) }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "nothing here")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<AppError> for Error {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Error::not_found(),
            AppError::Unauthenticated => Error::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the email or password is not right, or the session has ended",
            ),
            AppError::Forbidden => {
                Error::new(StatusCode::FORBIDDEN, "forbidden", "you may not do this")
            }
            AppError::Conflict(reason) => Error::new(StatusCode::CONFLICT, "conflict", reason),
            AppError::Refused { code, reason } => Error::new(StatusCode::CONFLICT, code, reason),
            AppError::Invalid(fields) => Error::invalid(fields),
            AppError::TooManyAttempts { retry_after_secs } => Error {
                retry_after: Some(retry_after_secs),
                ..Error::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    format!("too many failed attempts; try again in {retry_after_secs} seconds"),
                )
            },
            AppError::Busy { retry_after_secs } => Error {
                retry_after: Some(retry_after_secs),
                ..Error::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!("the server is busy; try again in {retry_after_secs} seconds"),
                )
            },
            AppError::Unexpected(cause) => {
                // The cause is logged here and nowhere shown; it may name internals.
                tracing::error!(error = ?cause, "unexpected error");
                Error::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; please try again",
                )
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.code, message: self.message, fields: self.fields };
        let mut response = (self.status, Json(body.clone())).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(body);
        response
    }
}
