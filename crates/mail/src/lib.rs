//! Mail adapters of the identity domain's `Mailer` port: the log (development), a folder of
//! `.eml` files (tests and local use) and SMTP (production).

use std::path::PathBuf;

use async_trait::async_trait;
use identity::ports::{Mail, Mailer};
use kernel::InfraError;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Writes mails to the log. The body holds secrets (reset tokens): meant for development.
#[derive(Debug, Default)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: Mail) -> Result<(), InfraError> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (log transport)");
        Ok(())
    }
}

/// Writes each mail as one `.eml` file into a folder; a file appears whole or not at all.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
    from: String,
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        FileMailer { dir: dir.into(), from: from.into() }
    }

    fn render(&self, mail: &Mail, now: chrono::DateTime<chrono::Utc>, id: &str) -> String {
        let mut text = String::new();
        for (name, value) in [
            ("From", self.from.as_str()),
            ("To", mail.to.as_str()),
            ("Subject", mail.subject.as_str()),
            ("Date", &now.to_rfc2822()),
            ("Message-ID", &format!("<{}.{id}@agora>", now.timestamp())),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ] {
            // Header values come from our own code, but a newline must never start a header.
            let value = value.replace(['\r', '\n'], " ");
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(&mail.body.replace("\r\n", "\n").replace('\n', "\r\n"));
        text
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: Mail) -> Result<(), InfraError> {
        let now = chrono::Utc::now();
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
        let text = self.render(&mail, now, &id);
        tokio::fs::create_dir_all(&self.dir).await.map_err(InfraError::internal)?;
        let name = format!("{}-{id}.eml", now.format("%Y%m%dT%H%M%S%.6fZ"));
        let partial = self.dir.join(format!(".{name}.part"));
        tokio::fs::write(&partial, text).await.map_err(InfraError::internal)?;
        tokio::fs::rename(&partial, self.dir.join(&name)).await.map_err(InfraError::internal)?;
        tracing::info!(to = %mail.to, file = %name, "mail written");
        Ok(())
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

/// Sends mails through an SMTP relay.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(
        host: &str,
        port: u16,
        security: SmtpSecurity,
        credentials: Option<(String, String)>,
        from: &str,
    ) -> Result<Self, InfraError> {
        let from: Mailbox = from.parse().map_err(|e| InfraError::internal(format!("mail.from: {e}")))?;
        let mut builder = match security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(InfraError::internal)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(InfraError::internal)?,
        }
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(10)));
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<(), InfraError> {
        let to: Mailbox = mail.to.parse().map_err(InfraError::internal)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(InfraError::internal)?;
        self.transport.send(message).await.map_err(InfraError::unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    fn mail() -> Mail {
        Mail {
            to: "alice@example.com".into(),
            subject: "Reset your Agora password".into(),
            body: "Your token:\n\nabc123\n".into(),
        }
    }

    #[tokio::test]
    async fn file_mailer_writes_one_whole_eml_per_mail() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = FileMailer::new(dir.path().join("mail"), "Agora <no-reply@agora.local>");
        mailer.send(mail()).await.unwrap();
        mailer.send(mail()).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2);
        assert!(names.iter().all(|n| n.ends_with(".eml")));
        let text = std::fs::read_to_string(dir.path().join("mail").join(&names[0])).unwrap();
        assert!(text.contains("To: alice@example.com\r\n"));
        assert!(text.contains("Subject: Reset your Agora password\r\n"));
        assert!(text.ends_with("Your token:\r\n\r\nabc123\r\n"));
    }

    /// A minimal SMTP server that accepts one message and returns what it received.
    async fn fake_smtp(listener: TcpListener) -> String {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut transcript = String::new();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            transcript.push_str(&line);
            transcript.push('\n');
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 queued\r\n").await.unwrap();
                }
                continue;
            }
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 fake\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await.unwrap();
        }
        transcript
    }

    #[tokio::test]
    async fn smtp_mailer_delivers_through_a_relay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(fake_smtp(listener));
        let mailer =
            SmtpMailer::new("127.0.0.1", port, SmtpSecurity::None, None, "Agora <no-reply@agora.local>").unwrap();
        mailer.send(mail()).await.unwrap();
        drop(mailer);
        let transcript = tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap();
        assert!(transcript.contains("RCPT TO:<alice@example.com>"), "{transcript}");
        assert!(transcript.contains("abc123"), "{transcript}");
    }

    #[tokio::test]
    async fn smtp_mailer_reports_an_unreachable_relay_as_unavailable() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mailer = SmtpMailer::new("127.0.0.1", port, SmtpSecurity::None, None, "a@b.example").unwrap();
        assert!(matches!(mailer.send(mail()).await, Err(InfraError::Unavailable(_))));
    }
}
