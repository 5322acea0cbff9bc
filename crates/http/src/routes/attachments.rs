//! Attachments: multipart uploads to posts and comments, downloads, deletion.

use actix_multipart::Multipart;
use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use board::{AttachTarget, Attachment};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::posts::{AttachmentDto, UploadForm};
use crate::errors::docs::operation_errors;
use crate::extract::Auth;
use crate::extract::multipart::{MultipartFiles, require_multipart};
use crate::problem::ApiError;
use crate::state::AppState;

/// Registers the attachment routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_to_post).service(upload_to_comment).service(download).service(delete_attachment);
}

async fn upload(
    state: &AppState,
    auth: &Auth,
    req: &HttpRequest,
    multipart: Multipart,
    target: AttachTarget,
) -> Result<HttpResponse, ApiError> {
    require_multipart(req, "one or more `file` parts")?;
    let mut parts = MultipartFiles::new(multipart);
    let attachments = state.attachments.upload(auth.actor(), target, &mut parts).await?;
    let body: Vec<AttachmentDto> = attachments.into_iter().map(AttachmentDto::from).collect();
    Ok(HttpResponse::Created().json(body))
}

operation_errors!(UploadToPostErrors: PostNotOwner, BoardForbidden, BoardClosed, PostNotFound, BoardNotFound, UploadTooLarge, UploadTypeMismatch, UploadTooManyFiles);

/// Attaches files to a post: its author or an admin. All files or none are stored.
#[utoipa::path(
    tag = "attachments",
    params(("id" = i64, Path, description = "The post")),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One or more parts named `file`"),
    responses(
        (status = 201, body = Vec<AttachmentDto>),
        UploadToPostErrors,
    )
)]
#[post("/posts/{id}/attachments")]
pub async fn upload_to_post(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<i64>,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    upload(&state, &auth, &req, multipart, AttachTarget::Post(path.into_inner())).await
}

operation_errors!(UploadToCommentErrors: CommentNotOwner, BoardForbidden, BoardClosed, CommentNotFound, BoardNotFound, UploadTooLarge, UploadTypeMismatch, UploadTooManyFiles);

/// Attaches files to a comment: its author or an admin. All files or none are stored.
#[utoipa::path(
    tag = "attachments",
    params(("id" = i64, Path, description = "The comment")),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One or more parts named `file`"),
    responses(
        (status = 201, body = Vec<AttachmentDto>),
        UploadToCommentErrors,
    )
)]
#[post("/comments/{id}/attachments")]
pub async fn upload_to_comment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<i64>,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    upload(&state, &auth, &req, multipart, AttachTarget::Comment(path.into_inner())).await
}

/// Characters of RFC 5987 `attr-char` that need no percent-encoding.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// `attachment; filename*=UTF-8''<percent-encoded name>`: safe for any name, since every
/// byte outside `attr-char` (quotes, separators, non-ASCII, controls) is encoded.
pub fn content_disposition(original_name: &str) -> String {
    let mut value = String::from("attachment; filename*=UTF-8''");
    for b in original_name.bytes() {
        if is_attr_char(b) {
            value.push(char::from(b));
        } else {
            value.push_str(&format!("%{b:02X}"));
        }
    }
    value
}

fn content_type_of(attachment: &Attachment) -> HeaderValue {
    HeaderValue::from_str(&attachment.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

operation_errors!(DownloadErrors: BoardForbidden, AttachmentNotFound, BoardNotFound);

/// Downloads a file, for users who may read its board. Always served as an attachment with
/// `nosniff`, so that no upload is rendered as a page of this origin.
#[utoipa::path(
    tag = "attachments",
    params(("id" = i64, Path, description = "The attachment")),
    responses(
        (status = 200, description = "The bytes, with the content type stored at upload", content_type = "*/*",
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename*=UTF-8''<percent-encoded original name>`"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
            )),
        DownloadErrors,
    )
)]
#[get("/attachments/{id}")]
pub async fn download(state: web::Data<AppState>, auth: Auth, path: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let download = state.attachments.download(auth.actor(), path.into_inner()).await?;
    let attachment = download.attachment;
    let size = u64::try_from(attachment.size).unwrap_or(0);
    let stream = futures_util::stream::unfold(Some(download.reader), |reader| async move {
        let mut reader = reader?;
        match reader.read().await {
            Ok(Some(chunk)) => Some((Ok(web::Bytes::from(chunk)), Some(reader))),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "reading an attachment failed mid-stream");
                Some((Err(actix_web::error::ErrorInternalServerError("read failed")), None))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type_of(&attachment)))
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(&attachment.original_name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(SizedStream::new(size, stream)))
}

operation_errors!(DeleteAttachmentErrors: AttachmentNotOwner, BoardForbidden, BoardClosed, AttachmentNotFound, BoardNotFound);

/// Deletes a file and removes it from storage: its uploader, the author of its post or
/// comment, or an admin.
#[utoipa::path(
    tag = "attachments",
    params(("id" = i64, Path, description = "The attachment")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteAttachmentErrors,
    )
)]
#[delete("/attachments/{id}")]
pub async fn delete_attachment(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.attachments.delete(auth.actor(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_in_the_disposition() {
        assert_eq!(content_disposition("photo.png"), "attachment; filename*=UTF-8''photo.png");
        assert_eq!(content_disposition("a \"b\";\r\nc.txt"), "attachment; filename*=UTF-8''a%20%22b%22%3B%0D%0Ac.txt");
        assert_eq!(content_disposition("résumé.pdf"), "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
        assert_eq!(content_disposition("../x/y"), "attachment; filename*=UTF-8''..%2Fx%2Fy");
    }
}
