//! The time zone a person reads times in: their own choice (account page), else their tenant's
//! `main.time_zone`, else UTC. Times are stored in UTC; only what is shown moves.

use super::error::{SsoError, SsoResult};
use super::session::CurrentSession;
use super::{Ctx, Sso, audit};
use crate::config::TimeZone;
use crate::store::preferences;

/// A viewer's time zone and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerZone {
    pub zone: TimeZone,
    /// `true` when the user chose it; `false` when it is the tenant's.
    pub chosen: bool,
}

impl Sso {
    /// The zone the session's user reads times in. A stored choice this build no longer knows falls back to the
    /// tenant's zone.
    pub async fn viewer_zone(&self, ctx: &Ctx, current: &CurrentSession) -> SsoResult<ViewerZone> {
        let policy = self.policy(&ctx.tenant).await?;
        let (pk, user_pk) = (ctx.tenant.pk, current.session().user_pk);
        let chosen = self
            .store
            .tenant(pk, move |conn| preferences::time_zone(conn, pk, user_pk))
            .await?
            .and_then(|name| TimeZone::parse(&name));
        Ok(match chosen {
            Some(zone) => ViewerZone { zone, chosen: true },
            None => ViewerZone {
                zone: policy.main.time_zone,
                chosen: false,
            },
        })
    }

    /// The user chooses their time zone (`None`: the tenant's again). A name outside the IANA database is
    /// `E008002` naming the field.
    pub async fn set_own_time_zone(&self, ctx: &Ctx, current: &CurrentSession, zone: Option<&str>) -> SsoResult<()> {
        let zone = match zone.map(str::trim).filter(|z| !z.is_empty()) {
            None => None,
            Some(name) => Some(TimeZone::parse(name).ok_or_else(|| SsoError::Invalid {
                key: "time_zone".to_owned(),
                message: format!("`{name}` is not a time zone of the IANA database (such as Europe/Berlin)"),
            })?),
        };
        let acting = current.acting(ctx);
        let (pk, user_pk, user_id) = (ctx.tenant.pk, current.session().user_pk, current.user().user_id.clone());
        self.store
            .tenant(pk, move |conn| {
                preferences::set_time_zone(conn, pk, user_pk, zone.map(|z| z.name()))?;
                let extra = serde_json::json!({"time_zone": zone.map(|z| z.name())});
                audit::append_ctx_extra(
                    conn,
                    &acting,
                    "user.set_time_zone",
                    Some(&user_id),
                    Ok(()),
                    Some(extra.to_string()),
                )
            })
            .await?;
        Ok(())
    }
}
