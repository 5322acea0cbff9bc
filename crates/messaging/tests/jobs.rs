//! The job queue adapters against a real RabbitMQ (`AGORA_TEST_AMQP_URL`): confirmed,
//! persistent publication; completion events that reach every listener; a refused
//! publication while the connection is down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rabbitmq {
    use std::time::Duration;

    use ai::ports::{CompletionWatch, JobEvents, JobQueue};
    use ai::{JobMessage, TaskId};
    use kernel::InfraError;
    use lapin::options::BasicGetOptions;
    use messaging::amqp::Broker;
    use messaging::jobs::{
        AmqpJobEvents, AmqpJobQueue, CompletionListener, CompletionNotifier, JobTopology, ShutdownTrigger, decode,
    };

    fn broker() -> String {
        std::env::var("AGORA_TEST_AMQP_URL").unwrap_or_else(|_| {
            panic!(
                "AGORA_TEST_AMQP_URL must name a RabbitMQ broker for the rabbitmq:: tests, e.g. \
                 amqp://guest:guest@127.0.0.1:5672/%2f (make test-integration sets it)"
            )
        })
    }

    async fn connect() -> Broker {
        Broker::start(&broker(), "messaging-test").await.unwrap()
    }

    /// A topology of its own, deleted by the broker a while after the test.
    fn topology() -> JobTopology {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        JobTopology::new(format!("agora_test_jobs_{suffix}"), Some(Duration::from_secs(120)))
    }

    #[tokio::test]
    async fn published_jobs_are_confirmed_persistent_and_in_order_on_the_durable_queue() {
        let broker = connect().await;
        let topology = topology();
        let queue = AmqpJobQueue::new(broker.clone(), topology.clone(), Duration::from_secs(5));
        let messages =
            [JobMessage::Inference { job_id: 1 }, JobMessage::Training { model_id: 2, task_id: TaskId::new("t") }];
        for message in &messages {
            queue.publish(message.clone()).await.unwrap();
        }
        let channel = broker.current().unwrap().connection.create_channel().await.unwrap();
        for expected in &messages {
            let message = channel
                .basic_get(topology.queue().into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap()
                .expect("the confirmed message is on the queue");
            assert_eq!(&decode(&message.delivery.data).unwrap(), expected);
            assert_eq!(message.delivery.properties.delivery_mode(), &Some(2), "persistent");
            assert_eq!(
                message.delivery.properties.message_id().as_ref().map(|id| id.as_str()),
                Some(expected.key().as_str())
            );
        }
    }

    #[tokio::test]
    async fn completion_events_wake_watchers_on_every_listening_instance() {
        let topology = topology();
        let (trigger, shutdown) = ShutdownTrigger::new();
        let mut notifiers = Vec::new();
        for _ in 0..2 {
            let notifier = CompletionNotifier::new();
            let listener = CompletionListener::new(connect().await, topology.clone(), notifier.clone());
            tokio::spawn(listener.run(shutdown.clone()));
            notifiers.push(notifier);
        }
        let events = AmqpJobEvents::new(connect().await, topology.clone());
        // A listener binds its queue a moment after it starts; events sent before are
        // lost (by design), so announce until each watcher is woken.
        for notifier in &notifiers {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                // The watch's own timeout is far away: resolving within 500 ms means woken.
                let watch = notifier.watch(42, Duration::from_secs(600));
                events.inference_finished(42).await;
                if tokio::time::timeout(Duration::from_millis(500), watch).await.is_ok() {
                    break;
                }
                assert!(tokio::time::Instant::now() < deadline, "no completion event reached the listener");
            }
            assert_eq!(notifier.watch_count(), 0);
        }
        trigger.trigger();
    }

    #[tokio::test]
    async fn publishing_on_a_closed_connection_is_unavailable_at_once() {
        let broker = connect().await;
        let queue = AmqpJobQueue::new(broker.clone(), topology(), Duration::from_secs(5));
        broker.close().await;
        let err = tokio::time::timeout(Duration::from_secs(10), queue.publish(JobMessage::Inference { job_id: 1 }))
            .await
            .expect("an answer before the timeout")
            .unwrap_err();
        assert!(matches!(err, InfraError::Unavailable(ref m) if m.starts_with("RabbitMQ:")), "{err:?}");
    }
}
