//! AI: datasets and models (admins), inference jobs (everyone), all asynchronous: a model
//! or a job is accepted with 202 once its work is durably queued.

use actix_multipart::{Field, Multipart};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use ai::service::{CreateModelInput, DatasetUpload, UpdateModelInput};
use futures_util::StreamExt;
use kernel::FieldErrors;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::ai::{
    CreateModelRequest, DatasetDto, DatasetUploadForm, InferenceDto, InferenceListQuery, InferenceRequest, ModelDto,
    UpdateInferenceRequest, UpdateModelRequest, WaitQuery,
};
use crate::errors::docs::operation_errors;
use crate::extract::multipart::{malformed_multipart, require_multipart};
use crate::extract::{AdminAuth, Auth, JsonBody, PageDto, PageQuery, QueryParams, page_request};
use crate::problem::ApiError;
use crate::state::AppState;

/// Registers the AI routes under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_models)
        .service(create_model)
        .service(get_model)
        .service(update_model)
        .service(delete_model)
        .service(train_model)
        .service(create_inference)
        .service(upload_dataset)
        .service(list_datasets)
        .service(list_inferences)
        .service(get_inference)
        .service(update_inference)
        .service(delete_inference);
}

const DATASETS_SCOPE: &str = "ai_datasets";
/// The longest `name` part of an upload, in bytes (names are at most 64 characters).
const NAME_PART_MAX_BYTES: usize = 1024;

fn accepted_at<T: serde::Serialize>(location: String, body: T) -> HttpResponse {
    HttpResponse::Accepted().insert_header((header::LOCATION, location)).json(body)
}

// ---- models -------------------------------------------------------------------------

/// Models the caller may use: for users, visible, available and ready ones; for admins,
/// every model.
#[utoipa::path(
    tag = "ai",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<ModelDto>),
    )
)]
#[get("/ai/models")]
pub async fn list_models(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<ModelDto>>, ApiError> {
    let scope = if auth.actor().is_admin() { "ai_models:all" } else { "ai_models:usable" };
    let page = query.0.request(&state.cursors, scope)?;
    let models = state.ai.list_models(auth.actor(), page).await?;
    Ok(web::Json(PageDto::from_page(models, &state.cursors, scope, ModelDto::from)))
}

operation_errors!(CreateModelErrors: AuthAdminRequired, AiModelNameTaken, AiQueueUnavailable);

/// Creates a model and queues its training. The dataset defaults to `ai_test`, the target
/// to its last column and the features to every other column, in order. `is_available`
/// becomes true when the training succeeds.
#[utoipa::path(
    tag = "ai",
    request_body = CreateModelRequest,
    responses(
        (status = 202, description = "Queued for training", body = ModelDto),
        CreateModelErrors,
    )
)]
#[post("/ai/models")]
pub async fn create_model(
    state: web::Data<AppState>,
    auth: AdminAuth,
    body: JsonBody<CreateModelRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let input = CreateModelInput {
        name: body.name,
        description: body.description,
        algorithm: body.algorithm,
        dataset_id: body.dataset_id,
        target: body.target,
        features: body.features,
        is_visible: body.is_visible,
    };
    let model = state.ai.create_model(auth.actor(), input).await?;
    Ok(accepted_at(format!("/api/v1/ai/models/{}", model.id), ModelDto::from(model)))
}

operation_errors!(GetModelErrors: AiModelNotFound);

/// A model. Users see visible models only.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The model's id")),
    responses(
        (status = 200, body = ModelDto),
        GetModelErrors,
    )
)]
#[get("/ai/models/{id}")]
pub async fn get_model(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<web::Json<ModelDto>, ApiError> {
    Ok(web::Json(state.ai.get_model(auth.actor(), id.into_inner()).await?.into()))
}

operation_errors!(UpdateModelErrors: AuthAdminRequired, AiModelNotFound);

/// Changes the description, visibility or availability of a model.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The model's id")),
    request_body = UpdateModelRequest,
    responses(
        (status = 200, body = ModelDto),
        UpdateModelErrors,
    )
)]
#[patch("/ai/models/{id}")]
pub async fn update_model(
    state: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<i64>,
    body: JsonBody<UpdateModelRequest>,
) -> Result<web::Json<ModelDto>, ApiError> {
    let body = body.0;
    let input = UpdateModelInput {
        description: body.description,
        is_visible: body.is_visible,
        is_available: body.is_available,
    };
    Ok(web::Json(state.ai.update_model(auth.actor(), id.into_inner(), input).await?.into()))
}

operation_errors!(DeleteModelErrors: AuthAdminRequired, AiModelNotFound);

/// Deletes a model with its trained artifact and its inference jobs.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The model's id")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteModelErrors,
    )
)]
#[delete("/ai/models/{id}")]
pub async fn delete_model(
    state: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.ai.delete_model(auth.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

operation_errors!(TrainModelErrors: AuthAdminRequired, AiModelNotFound, AiModelBusy, AiQueueUnavailable);

/// Trains a ready or failed model again on the same dataset. Until that training
/// succeeds the model serves no inferences.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The model's id")),
    responses(
        (status = 202, description = "Queued for training", body = ModelDto),
        TrainModelErrors,
    )
)]
#[post("/ai/models/{id}/train")]
pub async fn train_model(
    state: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let model = state.ai.retrain_model(auth.actor(), id.into_inner()).await?;
    Ok(accepted_at(format!("/api/v1/ai/models/{}", model.id), ModelDto::from(model)))
}

// ---- inferences ---------------------------------------------------------------------

operation_errors!(CreateInferenceErrors: AiModelNotFound, AiModelNotReady, AiQueueUnavailable);

/// Queues an inference. Users may use a visible, available and ready model; admins any
/// ready model. Read the result at `GET /ai/inferences/{id}` (the `Location`).
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The model's id")),
    request_body = InferenceRequest,
    responses(
        (status = 202, description = "Queued", body = InferenceDto),
        CreateInferenceErrors,
    )
)]
#[post("/ai/models/{id}/inferences")]
pub async fn create_inference(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<InferenceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let job = state.ai.submit_inference(auth.actor(), id.into_inner(), body.inputs, body.description).await?;
    Ok(accepted_at(format!("/api/v1/ai/inferences/{}", job.id), InferenceDto::from(job)))
}

operation_errors!(ListInferencesErrors: AuthAdminRequired);

/// The caller's inference jobs, newest first. Admins see everyone's, or one user's with
/// `user_id`.
#[utoipa::path(
    tag = "ai",
    params(InferenceListQuery),
    responses(
        (status = 200, body = PageDto<InferenceDto>),
        ListInferencesErrors,
    )
)]
#[get("/ai/inferences")]
pub async fn list_inferences(
    state: web::Data<AppState>,
    auth: Auth,
    query: QueryParams<InferenceListQuery>,
) -> Result<web::Json<PageDto<InferenceDto>>, ApiError> {
    let query = query.0;
    let actor = auth.actor();
    let scope = match (actor.is_admin(), query.user_id) {
        (true, None) => "ai_inferences:all".to_owned(),
        (true, Some(user)) => format!("ai_inferences:user={user}"),
        (false, _) => format!("ai_inferences:user={}", actor.id),
    };
    let page = page_request(&state.cursors, &scope, query.limit, query.cursor.as_deref())?;
    let jobs = state.ai.list_inferences(actor, query.user_id, page).await?;
    Ok(web::Json(PageDto::from_page(jobs, &state.cursors, &scope, InferenceDto::from)))
}

operation_errors!(GetInferenceErrors: AiInferenceNotFound);

/// An inference job of the caller (admins: any). With `wait`, an unfinished job is
/// answered as soon as it ends, or after `wait` seconds with its current status.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The job's id"), WaitQuery),
    responses(
        (status = 200, body = InferenceDto),
        GetInferenceErrors,
    )
)]
#[get("/ai/inferences/{id}")]
pub async fn get_inference(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    query: QueryParams<WaitQuery>,
) -> Result<web::Json<InferenceDto>, ApiError> {
    Ok(web::Json(state.ai.get_inference(auth.actor(), id.into_inner(), query.0.wait).await?.into()))
}

operation_errors!(UpdateInferenceErrors: AiNotOwner, AiInferenceNotFound);

/// Changes the description of the caller's own job.
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The job's id")),
    request_body = UpdateInferenceRequest,
    responses(
        (status = 200, body = InferenceDto),
        UpdateInferenceErrors,
    )
)]
#[patch("/ai/inferences/{id}")]
pub async fn update_inference(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<UpdateInferenceRequest>,
) -> Result<web::Json<InferenceDto>, ApiError> {
    Ok(web::Json(state.ai.update_inference(auth.actor(), id.into_inner(), &body.0.description).await?.into()))
}

operation_errors!(DeleteInferenceErrors: AiInferenceNotFound);

/// Deletes a job (its owner or an admin).
#[utoipa::path(
    tag = "ai",
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 204, description = "Deleted"),
        DeleteInferenceErrors,
    )
)]
#[delete("/ai/inferences/{id}")]
pub async fn delete_inference(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.ai.delete_inference(auth.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- datasets -----------------------------------------------------------------------

operation_errors!(UploadDatasetErrors: AuthAdminRequired, AiDatasetNameTaken, AiDatasetTooLarge, AiDatasetInvalid);

/// Uploads a CSV dataset: a `file` part (a header row of column names, then rows of
/// numbers) and an optional `name` part (default: the file name without its extension).
#[utoipa::path(
    tag = "ai",
    request_body(content = DatasetUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DatasetDto),
        UploadDatasetErrors,
    )
)]
#[post("/ai/datasets")]
pub async fn upload_dataset(
    state: web::Data<AppState>,
    auth: AdminAuth,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let max_bytes = state.ai.config().dataset_limits.max_bytes;
    let upload = read_upload(&req, payload, max_bytes).await?;
    let dataset = state.ai.upload_dataset(auth.actor(), upload).await?;
    Ok(HttpResponse::Created().json(DatasetDto::from(dataset)))
}

operation_errors!(ListDatasetsErrors: AuthAdminRequired);

/// Every dataset, `ai_test` (shipped with Agora) first.
#[utoipa::path(
    tag = "ai",
    params(PageQuery),
    responses(
        (status = 200, body = PageDto<DatasetDto>),
        ListDatasetsErrors,
    )
)]
#[get("/ai/datasets")]
pub async fn list_datasets(
    state: web::Data<AppState>,
    auth: AdminAuth,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<PageDto<DatasetDto>>, ApiError> {
    let page = query.0.request(&state.cursors, DATASETS_SCOPE)?;
    let datasets = state.ai.list_datasets(auth.actor(), page).await?;
    Ok(web::Json(PageDto::from_page(datasets, &state.cursors, DATASETS_SCOPE, DatasetDto::from)))
}

fn invalid_part(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(FieldErrors::single(field, message))
}

/// The bytes of a part, refusing to read more than `limit`.
async fn read_part(field: &mut Field, limit: usize) -> Result<Option<Vec<u8>>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(malformed_multipart)?;
        if bytes.len() + chunk.len() > limit {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Reads the `file` and `name` parts of a dataset upload, stopping at the size limit.
async fn read_upload(req: &HttpRequest, payload: web::Payload, max_bytes: usize) -> Result<DatasetUpload, ApiError> {
    require_multipart(req, "a `file` part and an optional `name` part")?;
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut upload = DatasetUpload::default();
    let mut has_file = false;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed_multipart)?;
        match field.name().unwrap_or_default() {
            "file" => {
                if has_file {
                    return Err(invalid_part("file", "send exactly one file"));
                }
                has_file = true;
                upload.file_name = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
                upload.content = read_part(&mut field, max_bytes)
                    .await?
                    .ok_or(ai::AiError::DatasetTooLarge { max_bytes })
                    .map_err(ApiError::from)?;
            }
            "name" => {
                let bytes = read_part(&mut field, NAME_PART_MAX_BYTES)
                    .await?
                    .ok_or_else(|| invalid_part("name", "must be at most 64 characters long"))?;
                let name = String::from_utf8(bytes).map_err(|_| invalid_part("name", "must be UTF-8 text"))?;
                upload.name = Some(name);
            }
            other => {
                return Err(invalid_part(
                    "body",
                    format!("unexpected part {other:?}; send `file` and optionally `name`"),
                ));
            }
        }
    }
    if !has_file {
        return Err(invalid_part("file", "a CSV file part named `file` is required"));
    }
    Ok(upload)
}
