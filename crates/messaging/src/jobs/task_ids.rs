//! Task ids from random UUIDs.

use ai::TaskId;
use ai::ports::TaskIdGenerator;

#[derive(Debug, Clone, Copy, Default)]
pub struct UuidTaskIds;

impl TaskIdGenerator for UuidTaskIds {
    fn new_task_id(&self) -> TaskId {
        TaskId::new(uuid::Uuid::new_v4().simple().to_string())
    }
}
