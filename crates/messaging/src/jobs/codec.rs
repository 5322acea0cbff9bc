//! Job messages on the wire: JSON such as `{"type":"inference","job_id":7}`.

use ai::JobMessage;
use kernel::InfraError;

pub fn encode(message: &JobMessage) -> Result<Vec<u8>, InfraError> {
    serde_json::to_vec(message).map_err(InfraError::internal)
}

/// `Err` names what is wrong with a message no Agora process wrote.
pub fn decode(bytes: &[u8]) -> Result<JobMessage, String> {
    serde_json::from_slice(bytes).map_err(|err| format!("not a job message: {err}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use ai::TaskId;

    use super::*;

    #[test]
    fn messages_have_a_stable_tagged_json_shape() {
        let training = JobMessage::Training { model_id: 3, task_id: TaskId::new("t-1") };
        assert_eq!(encode(&training).unwrap(), br#"{"type":"training","model_id":3,"task_id":"t-1"}"#);
        let inference = JobMessage::Inference { job_id: 9 };
        assert_eq!(encode(&inference).unwrap(), br#"{"type":"inference","job_id":9}"#);
        assert_eq!(decode(&encode(&training).unwrap()).unwrap(), training);
        assert_eq!(decode(&encode(&inference).unwrap()).unwrap(), inference);
    }

    #[test]
    fn foreign_messages_are_refused() {
        assert!(decode(b"hello").is_err());
        assert!(decode(br#"{"type":"reboot"}"#).is_err());
        assert!(decode(br#"{"type":"inference","job_id":"7"}"#).is_err());
    }
}
