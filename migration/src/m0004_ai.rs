//! AI: datasets, models (with their trained artifacts) and inference jobs.

use sea_orm_migration::{prelude::*, schema::*};

use crate::keys::{drop_tables, foreign_key, index, unique};
use crate::m0001_identity::Users;
use crate::types::Types;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AiDataset {
    Table,
    Id,
    Name,
    Columns,
    RowCount,
    Content,
    UserId,
    CreateDate,
}

#[derive(DeriveIden)]
enum AiModel {
    Table,
    Id,
    Name,
    Description,
    Algorithm,
    DatasetId,
    Target,
    Features,
    Status,
    Error,
    Metrics,
    IsVisible,
    IsAvailable,
    TaskId,
    UserId,
    CreateDate,
    UpdateDate,
    FinishDate,
    Attempts,
}

#[derive(DeriveIden)]
enum AiModelArtifact {
    Table,
    ModelId,
    Format,
    Content,
    CreateDate,
}

#[derive(DeriveIden)]
enum InferenceJob {
    Table,
    Id,
    UserId,
    ModelId,
    Description,
    Status,
    Inputs,
    Result,
    Error,
    Attempts,
    TaskId,
    CreateDate,
    UpdateDate,
    FinishDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Types::of(manager);
        let cascade = ForeignKeyAction::Cascade;
        let restrict = ForeignKeyAction::Restrict;

        manager
            .create_table(
                t.create_table(AiDataset::Table)
                    .col(big_pk_auto(AiDataset::Id))
                    .col(string_len(AiDataset::Name, 64))
                    .col(t.large_text(AiDataset::Columns))
                    .col(big_integer(AiDataset::RowCount))
                    .col(t.large_blob(AiDataset::Content))
                    .col(big_integer_null(AiDataset::UserId))
                    .col(t.timestamp(AiDataset::CreateDate))
                    .foreign_key(&mut foreign_key(
                        "fk_ai_dataset_user",
                        (AiDataset::Table, AiDataset::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_ai_dataset_name", AiDataset::Table, AiDataset::Name)).await?;
        manager.create_index(index("idx_ai_dataset_user_id", AiDataset::Table, [AiDataset::UserId])).await?;

        manager
            .create_table(
                t.create_table(AiModel::Table)
                    .col(big_pk_auto(AiModel::Id))
                    .col(string_len(AiModel::Name, 64))
                    .col(string_len(AiModel::Description, 256))
                    .col(string_len(AiModel::Algorithm, 32))
                    .col(big_integer(AiModel::DatasetId))
                    .col(string_len(AiModel::Target, 64))
                    .col(t.large_text(AiModel::Features))
                    .col(string_len(AiModel::Status, 16))
                    .col(string_len_null(AiModel::Error, 1024))
                    .col(t.large_text_null(AiModel::Metrics))
                    .col(boolean(AiModel::IsVisible).default(false))
                    .col(boolean(AiModel::IsAvailable).default(false))
                    .col(string_len_null(AiModel::TaskId, 64))
                    .col(big_integer_null(AiModel::UserId))
                    .col(t.timestamp(AiModel::CreateDate))
                    .col(t.timestamp(AiModel::UpdateDate))
                    .col(t.timestamp_null(AiModel::FinishDate))
                    .col(integer(AiModel::Attempts).default(0))
                    .foreign_key(&mut foreign_key(
                        "fk_ai_model_dataset",
                        (AiModel::Table, AiModel::DatasetId),
                        (AiDataset::Table, AiDataset::Id),
                        restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_ai_model_user",
                        (AiModel::Table, AiModel::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("uq_ai_model_name", AiModel::Table, AiModel::Name)).await?;
        manager.create_index(index("idx_ai_model_dataset_id", AiModel::Table, [AiModel::DatasetId])).await?;
        manager.create_index(index("idx_ai_model_user_id", AiModel::Table, [AiModel::UserId])).await?;

        manager
            .create_table(
                t.create_table(AiModelArtifact::Table)
                    .col(big_integer(AiModelArtifact::ModelId).primary_key())
                    .col(string_len(AiModelArtifact::Format, 32))
                    .col(t.large_blob(AiModelArtifact::Content))
                    .col(t.timestamp(AiModelArtifact::CreateDate))
                    .foreign_key(&mut foreign_key(
                        "fk_ai_model_artifact_model",
                        (AiModelArtifact::Table, AiModelArtifact::ModelId),
                        (AiModel::Table, AiModel::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                t.create_table(InferenceJob::Table)
                    .col(big_pk_auto(InferenceJob::Id))
                    .col(big_integer(InferenceJob::UserId))
                    .col(big_integer(InferenceJob::ModelId))
                    .col(string_len(InferenceJob::Description, 256))
                    .col(string_len(InferenceJob::Status, 16))
                    .col(t.large_text(InferenceJob::Inputs))
                    .col(t.large_text_null(InferenceJob::Result))
                    .col(string_len_null(InferenceJob::Error, 1024))
                    .col(integer(InferenceJob::Attempts).default(0))
                    .col(string_len_null(InferenceJob::TaskId, 64))
                    .col(t.timestamp(InferenceJob::CreateDate))
                    .col(t.timestamp(InferenceJob::UpdateDate))
                    .col(t.timestamp_null(InferenceJob::FinishDate))
                    .foreign_key(&mut foreign_key(
                        "fk_inference_job_user",
                        (InferenceJob::Table, InferenceJob::UserId),
                        (Users::Table, Users::Id),
                        restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_inference_job_model",
                        (InferenceJob::Table, InferenceJob::ModelId),
                        (AiModel::Table, AiModel::Id),
                        cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_inference_job_user_id_id",
                InferenceJob::Table,
                [InferenceJob::UserId, InferenceJob::Id],
            ))
            .await?;
        manager.create_index(index("idx_inference_job_model_id", InferenceJob::Table, [InferenceJob::ModelId])).await?;
        manager.create_index(index("idx_inference_job_status", InferenceJob::Table, [InferenceJob::Status])).await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                InferenceJob::Table.into_iden(),
                AiModelArtifact::Table.into_iden(),
                AiModel::Table.into_iden(),
                AiDataset::Table.into_iden(),
            ],
        )
        .await
    }
}
