//! Abuse limits on requests that send e-mail (sign-up, password reset): counted per source address and per
//! recipient in fixed windows stored in the database, so every instance shares them. Over the limit is 429
//! with `Retry-After` and `E011001`.

use super::error::{Kind, SsoError, SsoResult};
use super::{Ctx, Sso};
use crate::store::request_counters;
use chrono::NaiveDateTime;
use gatehouse_shared::SubStatus;

/// The start of the fixed window `now` falls in.
pub(crate) fn window_start(now: NaiveDateTime, minutes: u32) -> NaiveDateTime {
    let seconds = i64::from(minutes.max(1)) * 60;
    let t = now.and_utc().timestamp();
    chrono::DateTime::from_timestamp(t - t.rem_euclid(seconds), 0).map_or(now, |d| d.naive_utc())
}

impl Sso {
    /// Counts one request of `kind` from the caller's address and to `recipient` (if any); refuses it when
    /// either count passes its limit.
    pub async fn limit_requests(
        &self,
        ctx: &Ctx,
        kind: &'static str,
        recipient: Option<String>,
        per_address: u32,
        per_recipient: u32,
        window_minutes: u32,
    ) -> SsoResult<()> {
        let start = window_start(ctx.now, window_minutes);
        let retry_after = (super::clock::minutes_after(start, window_minutes.max(1)) - ctx.now)
            .num_seconds()
            .max(1);
        let (pk, addr) = (ctx.tenant.pk, ctx.remote_addr.clone().unwrap_or_default());
        let (by_addr, by_recipient) = self
            .store
            .tenant(pk, move |conn| {
                let a = request_counters::bump(conn, pk, &format!("{kind}:address"), &addr, start)?;
                let r = match &recipient {
                    Some(to) => Some(request_counters::bump(
                        conn,
                        pk,
                        &format!("{kind}:recipient"),
                        &to.to_lowercase(),
                        start,
                    )?),
                    None => None,
                };
                Ok((a, r))
            })
            .await?;
        let over = |count: i32, limit: u32| i64::from(count) > i64::from(limit);
        if over(by_addr, per_address) || by_recipient.is_some_and(|c| over(c, per_recipient)) {
            return Err(SsoError::refused(
                Kind::Throttled {
                    retry_after_secs: u64::try_from(retry_after).unwrap_or(1),
                },
                SubStatus::ThrottleAddress,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn windows_are_aligned() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(10, 59, 59)
            .unwrap();
        assert_eq!(window_start(t, 60).to_string(), "2026-11-28 10:00:00");
        assert_eq!(window_start(t, 15).to_string(), "2026-11-28 10:45:00");
    }
}
