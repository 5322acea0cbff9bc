//! `ai-worker` processes beside a test server, for tests and benchmarks of the RabbitMQ
//! mode: same database, same broker, same job queue.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::TestApp;

static SPAWNED: AtomicUsize = AtomicUsize::new(0);

/// A running `ai-worker`; killed when dropped.
pub struct WorkerProcess {
    child: Child,
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts `binary` on `app`'s database and job queue, connected to `amqp_url`, with
    /// `settings` (`APP__…` variables) on top. Its output goes to a file in `app.dir`.
    pub fn spawn(binary: &Path, app: &TestApp, amqp_url: &str, settings: &[(&str, &str)]) -> WorkerProcess {
        let n = SPAWNED.fetch_add(1, Ordering::SeqCst);
        let log = app.dir.path().join(format!("ai-worker-{n}.log"));
        let output = File::create(&log).expect("a log file");
        let mut command = Command::new(binary);
        command
            .env("APP_ENV", "test")
            .env("APP_CONFIG_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"))
            .env("APP__DATABASE__URL", app.settings.database.url.expose())
            .env("APP__AMQP__URL", amqp_url)
            .env("APP__AI__QUEUE", &app.settings.ai.queue)
            .env("APP__AI__QUEUE_EXPIRY_SECS", app.settings.ai.queue_expiry_secs.to_string())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("a log file"))
            .stderr(output);
        for (key, value) in settings {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        WorkerProcess { child, log }
    }

    /// What the worker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process dies at once, in the middle of whatever it does.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill the worker");
        self.child.wait().expect("reap the worker");
    }

    /// SIGTERM, then waits (at most a minute) for the process to exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        assert!(sent.success(), "SIGTERM could not be sent to {pid}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("the worker's status") {
                return status;
            }
            assert!(tokio::time::Instant::now() < deadline, "the worker did not exit: {}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
