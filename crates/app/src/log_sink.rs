//! Where log lines go: a bounded queue that one thread drains into standard output, so that
//! a log reader that stalls or goes away costs lines, never a blocked or crashed server.
//!
//! `tracing`'s own writer writes in the calling thread: a full pipe blocks every worker
//! that logs, and a closed one makes it report the failure with `eprintln!`, which panics
//! when standard error is closed too. Here a line that cannot be queued, or whose write
//! fails, is dropped and counted in `agora_log_write_failures_total`.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// Log lines waiting for the sink at most; beyond, new lines are dropped.
pub const QUEUE_LINES: usize = 4096;

/// Bytes written in one go when lines have piled up.
const BATCH_BYTES: usize = 64 * 1024;

fn count_failures(reason: &str, lines: u64) {
    agora_http::metrics::metrics().log_write_failures.with_label_values(&[reason]).inc_by(lines);
}

enum Message {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
}

/// The sending end, a `MakeWriter` for `tracing_subscriber::fmt`. Cheap to clone.
#[derive(Clone)]
pub struct LogSink {
    queue: SyncSender<Message>,
}

impl LogSink {
    /// Starts the thread that writes queued lines to `out`.
    pub fn spawn(out: impl Write + Send + 'static, capacity: usize) -> io::Result<LogSink> {
        let (queue, lines) = mpsc::sync_channel(capacity);
        std::thread::Builder::new().name("log-sink".to_owned()).spawn(move || drain(lines, out))?;
        Ok(LogSink { queue })
    }

    /// Waits up to `timeout` for the lines queued so far to be written (or dropped); false
    /// when the sink did not get there in time (a stalled reader).
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (done, wait) = mpsc::sync_channel(1);
        let mut message = Message::Flush(done);
        // A full queue may drain in time: retry until the deadline rather than block on it.
        loop {
            match self.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    message = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        wait.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    fn send(&self, line: &[u8]) {
        match self.queue.try_send(Message::Line(line.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => count_failures("queue_full", 1),
            Err(TrySendError::Disconnected(_)) => count_failures("write_error", 1),
        }
    }
}

fn drain(lines: Receiver<Message>, mut out: impl Write) {
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    let mut batch_lines = 0u64;
    let mut acks = Vec::new();
    while let Ok(first) = lines.recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => {
                    batch.extend_from_slice(&line);
                    batch_lines += 1;
                }
                Message::Flush(ack) => acks.push(ack),
            }
            if batch.len() < BATCH_BYTES {
                next = lines.try_recv().ok();
            }
        }
        if !batch.is_empty() && out.write_all(&batch).and_then(|()| out.flush()).is_err() {
            count_failures("write_error", batch_lines);
        }
        batch.clear();
        batch_lines = 0;
        for ack in acks.drain(..) {
            let _ = ack.try_send(());
        }
    }
}

/// One event's writer: `fmt` writes each formatted event in a single `write_all`.
pub struct LineWriter<'a>(&'a LogSink);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.send(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Arc, Mutex};

    use super::*;

    /// A sink that fails every write, like a pipe whose reader is gone.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A sink that blocks until released, like a pipe whose reader has stopped reading.
    struct Stalled(Arc<Mutex<()>>);

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            drop(self.0.lock().unwrap());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<u8>>>);

    impl Write for Memory {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn failures(reason: &str) -> u64 {
        agora_http::metrics::metrics().log_write_failures.with_label_values(&[reason]).get()
    }

    #[test]
    fn lines_reach_the_sink_in_order() {
        let memory = Memory::default();
        let sink = LogSink::spawn(memory.clone(), 128).unwrap();
        for i in 0..100 {
            sink.make_writer().write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        assert!(sink.flush(Duration::from_secs(10)));
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(memory.0.lock().unwrap().clone()).unwrap(), expected);
    }

    #[test]
    fn a_closed_sink_counts_failures_and_never_fails_the_logger() {
        let sink = LogSink::spawn(Closed, 16).unwrap();
        let before = failures("write_error");
        sink.make_writer().write_all(b"lost\n").unwrap();
        assert!(sink.flush(Duration::from_secs(10)));
        assert!(failures("write_error") > before);
    }

    #[test]
    fn a_stalled_sink_drops_lines_without_blocking_the_logger() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let sink = LogSink::spawn(Stalled(gate.clone()), 4).unwrap();
        let before = failures("queue_full");
        // The drain thread takes at most one batch (64 KiB) and blocks writing it; four more
        // lines wait in the queue; the rest must be dropped at once.
        let line = [b'x'; 10 * 1024];
        for _ in 0..100 {
            sink.make_writer().write_all(&line).unwrap();
        }
        assert!(failures("queue_full") - before >= 100 - 7 - 4, "{}", failures("queue_full") - before);
        drop(held);
        assert!(sink.flush(Duration::from_secs(10)), "the sink resumes once its reader does");
    }
}
