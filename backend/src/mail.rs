//! Mail transport with `lettre`: SMTP (STARTTLS, TLS or plain, optional credentials, a timeout) or files (one
//! `.eml` per message, the embedded default). Messages are queued in the durable outbox in the transaction of
//! the change that causes them; the domain's background sender (`sso::outbox_delivery`) hands what is due to
//! [`Mailer::send`], one message at a time.

use crate::config::{MailConfig, MailTransport, SmtpSecurity};
use crate::store::outbox::OutboxRow;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail: {0}")]
    Config(String),
}

/// Why a message was not delivered this time.
#[derive(Debug)]
pub struct SendFailure {
    /// Retrying cannot help (a malformed address, a permanent SMTP refusal).
    pub permanent: bool,
    pub message: String,
}

pub enum Mailer {
    File(FileTransport),
    Smtp(SmtpTransport),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::File(_) => "Mailer::File",
            Mailer::Smtp(_) => "Mailer::Smtp",
        })
    }
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Mailer, MailError> {
        config
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        match config.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&config.file_dir)
                    .map_err(|e| MailError::Config(format!("mail.file_dir {}: {e}", config.file_dir)))?;
                Ok(Mailer::File(FileTransport::new(&config.file_dir)))
            }
            MailTransport::Smtp => {
                if config.smtp_host.is_empty() {
                    return Err(MailError::Config(
                        "mail.smtp_host is required with mail.transport = smtp".into(),
                    ));
                }
                let builder = match config.smtp_security {
                    SmtpSecurity::None => SmtpTransport::builder_dangerous(&config.smtp_host),
                    SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&config.smtp_host)
                        .map_err(|e| MailError::Config(format!("mail.smtp_host: {e}")))?,
                    SmtpSecurity::Tls => SmtpTransport::relay(&config.smtp_host)
                        .map_err(|e| MailError::Config(format!("mail.smtp_host: {e}")))?,
                };
                let mut builder = builder
                    .port(config.smtp_port)
                    .timeout(Some(Duration::from_secs(config.smtp_timeout_seconds.max(1))));
                if !config.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        config.smtp_username.clone(),
                        config.smtp_password.expose().to_owned(),
                    ));
                }
                Ok(Mailer::Smtp(builder.build()))
            }
        }
    }

    /// Sends one queued message (blocking: call it off the async workers).
    pub fn send(&self, from: &str, row: &OutboxRow) -> Result<(), SendFailure> {
        let permanent = |message: String| SendFailure {
            permanent: true,
            message,
        };
        let from: Mailbox = from.parse().map_err(|e| permanent(format!("sender: {e}")))?;
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e| permanent(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))
            .map_err(|e| permanent(format!("message: {e}")))?;
        match self {
            Mailer::File(t) => t.send(&message).map(|_| ()).map_err(|e| SendFailure {
                permanent: false,
                message: e.to_string(),
            }),
            Mailer::Smtp(t) => t.send(&message).map(|_| ()).map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
        }
    }
}
