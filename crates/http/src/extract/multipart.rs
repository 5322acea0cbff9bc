//! The parts of a multipart upload, read as they arrive, for the attachment service.

use actix_multipart::{Field, Multipart};
use actix_web::HttpRequest;
use actix_web::http::header;
use async_trait::async_trait;
use board::BoardError;
use board::attachment::ports::{IncomingFile, UploadParts};
use futures_util::StreamExt;
use kernel::FieldErrors;

use crate::errors::ErrorCode;
use crate::problem::ApiError;

/// The name every file part must have.
pub const FILE_PART: &str = "file";

/// 415 unless the request is `multipart/form-data`; `parts` says which parts it needs.
/// Every multipart route (attachments, datasets) checks with this.
pub fn require_multipart(req: &HttpRequest, parts: &str) -> Result<(), ApiError> {
    let is_form_data = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"));
    if is_form_data {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::RequestUnsupportedMediaType,
            format!("The body must be multipart/form-data with {parts}."),
        ))
    }
}

/// 400 for a multipart body that cannot be parsed.
pub fn malformed_multipart(err: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::RequestMalformedMultipart, format!("The multipart body cannot be read: {err}"))
}

/// The `file` parts of a multipart body; any other part, and a `file` part without a file
/// name, is refused (422), so that no unbounded non-file data is read.
pub struct MultipartFiles {
    multipart: Multipart,
    current: Option<Field>,
}

impl MultipartFiles {
    pub fn new(multipart: Multipart) -> Self {
        MultipartFiles { multipart, current: None }
    }
}

#[async_trait(?Send)]
impl UploadParts for MultipartFiles {
    async fn next_file(&mut self) -> Result<Option<IncomingFile>, BoardError> {
        // Dropping the current field lets the parser skip what is left of it.
        self.current = None;
        let field = match self.multipart.next().await {
            None => return Ok(None),
            Some(Err(err)) => return Err(BoardError::UploadMalformed(err.to_string())),
            Some(Ok(field)) => field,
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != FILE_PART {
            let label = if name.is_empty() { "part".to_owned() } else { name };
            return Err(BoardError::Validation(FieldErrors::single(
                &label,
                "unexpected part: an upload has only parts named `file`",
            )));
        }
        // A part without a file name is a form field, not a file: refusing it keeps text
        // (e.g. a JSON value sent by mistake) from being stored as an attachment.
        let Some(file_name) = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned) else {
            return Err(BoardError::Validation(FieldErrors::single(
                FILE_PART,
                "each `file` part must be a file upload, with a filename in its Content-Disposition",
            )));
        };
        let file_name = Some(file_name);
        let content_type = field.content_type().map(|mime| mime.to_string());
        self.current = Some(field);
        Ok(Some(IncomingFile { file_name, content_type }))
    }

    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BoardError> {
        let Some(field) = self.current.as_mut() else {
            return Ok(None);
        };
        match field.next().await {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes.to_vec())),
            Some(Err(err)) => Err(BoardError::UploadMalformed(err.to_string())),
        }
    }
}
