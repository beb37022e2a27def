//! The actix adapters: one app built by [`Application::build`] (which the tests reuse), the native API under
//! `/api/v1`, the Zato-compatible surface under `/zato/sso`, and the operational endpoints.

pub mod api_v1;
pub mod call;
pub mod envelope;
pub mod error;
pub mod json;
pub mod meta;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod tenant;
pub mod user_patch;
pub mod zato;

use crate::sso::Sso;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use error::ApiError;
use json::BodyLimit;
use std::net::TcpListener;

async fn no_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}

/// The routes and middleware, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/api/v1/openapi.json", web::get().to(api_v1::openapi))
        .service(web::scope("/api/v1/tenants").configure(api_v1::operator_routes))
        .service(
            web::scope("/api/v1/t/{tenant}")
                .wrap(from_fn(tenant::resolve))
                .configure(api_v1::tenant_routes)
                .default_service(web::to(no_route)),
        )
        .service(
            web::scope("/t/{tenant}/zato/sso")
                .wrap(from_fn(tenant::resolve))
                .configure(zato::routes)
                .default_service(web::to(no_route)),
        )
        .service(
            web::scope("/zato/sso")
                .wrap(from_fn(tenant::resolve))
                .configure(zato::routes)
                .default_service(web::to(no_route)),
        )
        .route("/", web::get().to(pages::root))
        .route(gatehouse_frontend::STYLESHEET_PATH, web::get().to(pages::stylesheet))
        .route(
            gatehouse_frontend::PASSKEY_SCRIPT_PATH,
            web::get().to(pages::passkey_script),
        )
        .route(gatehouse_frontend::FORM_SCRIPT_PATH, web::get().to(pages::form_script))
        .route("/favicon.ico", web::get().to(pages::favicon))
        .service(
            web::scope("/t/{tenant}")
                .wrap(from_fn(pages::security_headers))
                .wrap(from_fn(tenant::resolve))
                .configure(pages::tenant_routes)
                .default_service(web::to(no_route)),
        );
}

/// A bound, not yet running, server; with `server.metrics_bind` set, a second one serving `/metrics` alone.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Binds `server.bind` (port 0 picks a free port) and builds the server.
    pub fn build(sso: Sso) -> std::io::Result<Application> {
        // Each failure names its setting: two instances on one host must differ in both.
        let named = |key: &str, addr: &str| {
            let key = key.to_owned();
            let addr = addr.to_owned();
            move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{key} {addr}: {e}"))
        };
        let listener =
            TcpListener::bind(&sso.config.server.bind).map_err(named("server.bind", &sso.config.server.bind))?;
        let port = listener.local_addr()?.port();
        sso.follow_changes()?;
        let server_config = sso.config.server.clone();
        let timeout = std::time::Duration::from_secs(server_config.request_timeout_seconds);
        let limit = BodyLimit(server_config.max_body_bytes, timeout);
        // Served over HTTPS (behind a proxy that terminates TLS), browsers are told to keep to it.
        let hsts = server_config.public_url.starts_with("https://");
        let metrics_apart = !server_config.metrics_bind.is_empty();
        let sso = web::Data::new(sso);
        let metrics = if metrics_apart {
            let listener = TcpListener::bind(&server_config.metrics_bind)
                .map_err(named("server.metrics_bind", &server_config.metrics_bind))?;
            let port = listener.local_addr()?.port();
            let sso = sso.clone();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(sso.clone())
                    .route("/metrics", web::get().to(ops::metrics))
            })
            .workers(1)
            .listen(listener)?
            .run();
            Some((port, server))
        } else {
            None
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(sso.clone())
                .app_data(web::Data::new(limit))
                .wrap(from_fn(envelope::envelope))
                .wrap(Condition::new(
                    hsts,
                    DefaultHeaders::new().add((
                        actix_web::http::header::STRICT_TRANSPORT_SECURITY,
                        "max-age=31536000; includeSubDomains",
                    )),
                ))
                .configure(routes)
                .configure(|cfg| {
                    if !metrics_apart {
                        cfg.route("/metrics", web::get().to(ops::metrics));
                    }
                })
                .default_service(web::to(no_route))
        })
        .client_request_timeout(timeout)
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .keep_alive(std::time::Duration::from_secs(server_config.keep_alive_seconds))
        .listen(listener)?
        .run();
        Ok(Application { port, server, metrics })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate metrics listener, when `server.metrics_bind` asks for one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures_util::future::try_join(self.server, metrics).await.map(|_| ()),
            None => self.server.await,
        }
    }

    /// The server (and the metrics server, if any, spawned on the current runtime), to spawn it (tests).
    pub fn into_server(self) -> Server {
        if let Some((_, metrics)) = self.metrics {
            actix_rt::spawn(metrics);
        }
        self.server
    }
}
