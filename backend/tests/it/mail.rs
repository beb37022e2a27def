//! The mail outbox and its sender: files, a real SMTP server, an SMTP outage, a permanent failure.

use crate::both;
use crate::common::{Backend, SmtpServer, TestSso, free_port};
use chrono::TimeDelta;
use gatehouse::config::{MailTransport, SmtpSecurity};
use gatehouse::sso::outbox_delivery::Delivered;
use gatehouse::store::outbox;

async fn queue(t: &TestSso, to: &str) {
    let ctx = t.ctx("default").await;
    t.sso
        .queue_mail(
            &ctx,
            "test",
            to,
            "Welcome to Default",
            "Hello in text: link-token-123",
            "<p>Hello in HTML</p>",
        )
        .await
        .unwrap();
}

async fn rows(t: &TestSso) -> Vec<outbox::OutboxRow> {
    crate::common::outbox_rows(&t.sso).await
}

async fn the_file_transport_writes_eml_files(backend: Backend) {
    let t = TestSso::open(backend).await;
    queue(&t, "alice@example.com").await;
    let done = t.sso.deliver_due().await.unwrap();
    assert_eq!(
        done,
        Delivered {
            sent: 1,
            retried: 0,
            failed: 0
        }
    );
    let dir = &t.sso.config.mail.file_dir;
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        eml.contains("To: alice@example.com") && eml.contains("Subject: Welcome to Default"),
        "{eml}"
    );
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
    let row = &rows(&t).await[0];
    assert!(row.sent_time.is_some());
    assert!(
        row.body_text.is_empty() && row.body_html.is_empty(),
        "sent bodies are cleared"
    );
    assert_eq!(t.sso.deliver_due().await.unwrap(), Delivered::default(), "sent once");
}
both!(the_file_transport_writes_eml_files);

async fn smtp_delivery_survives_an_outage(backend: Backend) {
    let port = free_port();
    let t = TestSso::open_with(backend, |c| {
        c.mail.transport = MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_security = SmtpSecurity::None;
        c.mail.smtp_timeout_seconds = 2;
    })
    .await;
    // The server is down: the message waits.
    queue(&t, "bob@example.com").await;
    let done = t.sso.deliver_due().await.unwrap();
    assert_eq!(
        done,
        Delivered {
            sent: 0,
            retried: 1,
            failed: 0
        }
    );
    let row = &rows(&t).await[0];
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.is_some() && row.sent_time.is_none() && row.failed_time.is_none());
    assert!(!row.body_text.is_empty(), "kept until delivered");

    // Back up: the retry waits for its backoff, then delivers.
    let server = SmtpServer::start(port);
    assert_eq!(t.sso.deliver_due().await.unwrap(), Delivered::default(), "not due yet");
    t.sso.clock.advance(TimeDelta::seconds(6));
    assert_eq!(
        t.sso.deliver_due().await.unwrap(),
        Delivered {
            sent: 1,
            retried: 0,
            failed: 0
        }
    );
    let received = server.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("bob@example.com") && received[0].contains("Welcome to Default"));
    assert!(received[0].contains("link-token-123"), "the text part arrives");

    // A recipient that cannot be an address fails for good, visibly.
    queue(&t, "not an address").await;
    assert_eq!(
        t.sso.deliver_due().await.unwrap(),
        Delivered {
            sent: 0,
            retried: 0,
            failed: 1
        }
    );
    let failed = rows(&t).await.into_iter().find(|r| r.failed_time.is_some()).unwrap();
    assert!(failed.last_error.as_deref().unwrap().contains("recipient"));
    t.sso.clock.advance(TimeDelta::hours(2));
    assert_eq!(
        t.sso.deliver_due().await.unwrap(),
        Delivered::default(),
        "never retried"
    );
}
both!(smtp_delivery_survives_an_outage);
