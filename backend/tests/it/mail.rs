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

/// A tenant's counts of waiting mail and waiting password-reset requests.
async fn pending(t: &TestSso, slug: &str) -> (i64, i64) {
    let pk = t.ctx(slug).await.tenant.pk;
    t.sso
        .store
        .global(move |c| gatehouse::store::pending_work::counts(c, pk))
        .await
        .unwrap()
}

async fn busy(t: &TestSso) -> Vec<i64> {
    t.sso
        .store
        .global(gatehouse::store::pending_work::tenants_with_work)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

async fn the_sender_visits_only_tenants_with_work_waiting(backend: Backend) {
    let t = TestSso::open(backend).await;
    t.sso
        .create_tenant("quiet", None, gatehouse::sso::Actor::Auto, "t")
        .await
        .unwrap();
    let (default, quiet) = (t.ctx("default").await.tenant.pk, t.ctx("quiet").await.tenant.pk);
    t.sso.deliver_due().await.unwrap();
    assert!(busy(&t).await.is_empty(), "nothing waits after a full pass");

    // A message counts from its insert until it is sent.
    queue(&t, "carol@example.com").await;
    assert_eq!(pending(&t, "default").await, (1, 0));
    assert_eq!(busy(&t).await, [default], "the quiet tenant is not visited");
    assert_eq!(t.sso.deliver_pending().await.unwrap().sent, 1);
    assert_eq!(pending(&t, "default").await, (0, 0));
    assert_eq!(pending(&t, "quiet").await, (0, 0));

    // A password-reset request counts until it is resolved; the pass that resolves it sends its mail.
    let ctx = t.ctx("quiet").await;
    t.sso.request_password_reset(&ctx, "nobody@example.com").await.unwrap();
    assert_eq!(pending(&t, "quiet").await, (0, 1));
    assert_eq!(busy(&t).await, [quiet]);
    t.sso.deliver_pending().await.unwrap();
    assert_eq!(
        pending(&t, "quiet").await,
        (0, 0),
        "resolved: it named nobody, so no mail"
    );

    // A message the counts do not know of (queued before they were kept) waits for a full pass.
    queue(&t, "dave@example.com").await;
    t.sso
        .store
        .global(|c| {
            use diesel::prelude::*;
            use gatehouse::store::schema::tenant_pending_work;
            diesel::update(tenant_pending_work::table)
                .set(tenant_pending_work::mail.eq(0))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(t.sso.deliver_pending().await.unwrap(), Delivered::default());
    assert_eq!(t.sso.deliver_due().await.unwrap().sent, 1, "the full pass finds it");
    assert_eq!(pending(&t, "default").await, (0, 0), "a count never goes below zero");
    queue(&t, "erin@example.com").await;
    assert_eq!(pending(&t, "default").await, (1, 0), "and counts again from there");

    // A tenant deleted with work waiting goes, counts and all.
    queue_in(&t, "quiet", "frank@example.com").await;
    t.sso.request_password_reset(&ctx, "nobody@example.com").await.unwrap();
    assert_eq!(pending(&t, "quiet").await, (1, 1));
    t.sso
        .store
        .global(move |c| gatehouse::store::tenants::delete(c, quiet))
        .await
        .unwrap();
    assert_eq!(busy(&t).await, [default], "the deleted tenant's counts went with it");
}

async fn queue_in(t: &TestSso, slug: &str, to: &str) {
    let ctx = t.ctx(slug).await;
    t.sso
        .queue_mail(&ctx, "test", to, "Hello", "Hello in text", "<p>Hello</p>")
        .await
        .unwrap();
}
both!(the_sender_visits_only_tenants_with_work_waiting);

/// Two units of work of one tenant racing: `first` does its first step, then (holding what it took) waits
/// while `second` starts, then its second step. On SQLite, where units take turns, `second` waits for `first`
/// to commit. Returns both outcomes.
async fn racing(
    t: &TestSso,
    tenant: gatehouse::store::TenantPk,
    first: (Step, Step),
    second: Step,
) -> (gatehouse::store::StoreResult<()>, gatehouse::store::StoreResult<()>) {
    let (started, first_started) = std::sync::mpsc::channel::<()>();
    let store = t.sso.store.clone();
    let (one, two) = first;
    let first = actix_rt::spawn(async move {
        store
            .tenant(tenant, move |c| {
                one(c)?;
                started.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(400));
                two(c)
            })
            .await
    });
    tokio::task::spawn_blocking(move || first_started.recv().unwrap())
        .await
        .unwrap();
    let b = t.sso.store.tenant(tenant, second).await;
    (first.await.unwrap(), b)
}

type Step = Box<dyn FnOnce(&mut gatehouse::store::AnyConnection) -> gatehouse::store::StoreResult<()> + Send>;

fn audit_entry(
    tenant: gatehouse::store::TenantPk,
    now: chrono::NaiveDateTime,
    cid: &str,
) -> gatehouse::store::audit::NewAuditRow {
    gatehouse::store::audit::NewAuditRow {
        tenant_id: tenant,
        time: now,
        cid: cid.to_owned(),
        op: "test.order".to_owned(),
        current_user_id: None,
        target_user_id: None,
        result: "ok".to_owned(),
        sub_status: None,
        remote_addr: None,
        current_app: None,
        extra: None,
    }
}

fn enqueue(tenant: gatehouse::store::TenantPk, now: chrono::NaiveDateTime, to: &'static str) -> Step {
    Box::new(move |c| {
        let m = outbox::NewMessage {
            tenant,
            kind: "test",
            recipient: to,
            subject: "s",
            body_text: "t",
            body_html: "h",
        };
        outbox::enqueue(c, &m, now)
    })
}

fn audit(tenant: gatehouse::store::TenantPk, now: chrono::NaiveDateTime, cid: &'static str) -> Step {
    Box::new(move |c| gatehouse::store::audit::append(c, &audit_entry(tenant, now, cid)))
}

/// One transaction queues mail and then appends to the audit log, another appends and then queues mail, for
/// the same tenant at the same time: both commit, the chain holds and both messages are counted. With the
/// pending-work row locked as each message was queued and the audit lock taken by each entry, PostgreSQL found
/// a deadlock here (seen in `just bench`) and aborted one of them.
async fn mail_and_audit_entries_in_either_order_do_not_deadlock(backend: Backend) {
    let t = TestSso::open(backend).await;
    let tenant = t.ctx("default").await.tenant;
    let pk = tenant.pk;
    t.sso.deliver_due().await.unwrap();
    let now = t.sso.clock.now();
    let (a, b) = racing(
        &t,
        pk,
        (enqueue(pk, now, "first@example.com"), audit(pk, now, "mail-first")),
        Box::new(move |c| {
            audit(pk, now, "audit-first")(c)?;
            enqueue(pk, now, "second@example.com")(c)
        }),
    )
    .await;
    a.expect("mail, then its audit entry");
    b.expect("an audit entry, then mail");
    assert_eq!(
        t.sso.verify_audit(&tenant).await.unwrap().ok().map(|n| n >= 2),
        Some(true)
    );
    assert_eq!(pending(&t, "default").await, (2, 0));
}
both!(mail_and_audit_entries_in_either_order_do_not_deadlock);

/// A login holds its user's row and then appends its audit entry; the resolution of a password-reset request
/// for that user takes the request off the queue, then adds a reset link (whose foreign key needs a share lock
/// on the user's row) and audits. Both commit. Had the pending-work trigger taken the audit lock as the request
/// was taken (tried, and seen to deadlock here), the two would wait for each other.
async fn a_login_and_a_reset_resolution_for_one_user_do_not_deadlock(backend: Backend) {
    use gatehouse::store::{password_resets, reset_requests, users};
    let t = TestSso::open(backend).await;
    let pk = t.ctx("default").await.tenant.pk;
    let now = t.sso.clock.now();
    let (user, request) = t
        .sso
        .store
        .tenant(pk, move |c| {
            let user = users::by_username(c, pk, "admin")?.expect("the first administrator").id;
            let r = reset_requests::NewResetRequest {
                tenant: pk,
                credential_sealed: "sealed",
                cid: "cid",
                current_app: "CRM",
                remote_addr: None,
                user_agent: None,
            };
            reset_requests::insert(c, &r, now)?;
            let request = reset_requests::oldest(c, pk, 1)?.remove(0).id;
            Ok((user, request))
        })
        .await
        .unwrap();
    assert_eq!(pending(&t, "default").await, (0, 1));
    let (a, b) = racing(
        &t,
        pk,
        (
            Box::new(move |c| users::by_pk_for_update(c, pk, user).map(|_| ())),
            audit(pk, now, "login"),
        ),
        Box::new(move |c| {
            assert!(reset_requests::take(c, pk, request)?);
            password_resets::insert(c, pk, user, "token-hash", now, now + TimeDelta::hours(1))?;
            audit(pk, now, "reset-resolved")(c)
        }),
    )
    .await;
    a.expect("the login");
    b.expect("the reset resolution");
    assert_eq!(pending(&t, "default").await, (0, 0), "the request was counted off");
}
both!(a_login_and_a_reset_resolution_for_one_user_do_not_deadlock);

/// A tenant whose id is beyond 32 bits (ids are BIGINT) can audit and queue mail: the audit lock's integer key
/// folds it in rather than failing with 'integer out of range'.
async fn a_tenant_id_beyond_32_bits_audits_and_queues_mail(backend: Backend) {
    use diesel::prelude::*;
    use gatehouse::store::schema::tenants;
    let t = TestSso::open(backend).await;
    let now = t.sso.clock.now();
    let pk: gatehouse::store::TenantPk = 3_000_000_000;
    t.sso
        .store
        .global(move |c| {
            diesel::insert_into(tenants::table)
                .values((
                    tenants::id.eq(pk),
                    tenants::slug.eq("wide"),
                    tenants::display_name.eq("Wide"),
                    tenants::status.eq("active"),
                    tenants::settings_version.eq(1_i64),
                    tenants::creation_time.eq(now),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (a, b) = racing(
        &t,
        pk,
        (enqueue(pk, now, "first@example.com"), audit(pk, now, "wide-1")),
        audit(pk, now, "wide-2"),
    )
    .await;
    a.expect("mail and an audit entry");
    b.expect("a second entry");
    let tenant = t.ctx("wide").await.tenant;
    assert_eq!(t.sso.verify_audit(&tenant).await.unwrap(), Ok(2));
    assert_eq!(pending(&t, "wide").await, (1, 0));
}
both!(a_tenant_id_beyond_32_bits_audits_and_queues_mail);
