//! The pages' one error mapping. A domain error is shown with the status the native API answers it with (its
//! [`Kind`](crate::sso::Kind), through [`sso_outcome`]) and, as a sentence, the code the caller may see. No page
//! chooses a status from a code: a page may word a code its own way, never answer it differently.

use super::sentences::sentence;
use crate::http::error::sso_outcome;
use crate::sso::SsoError;
use actix_web::http::StatusCode;
use gatehouse_frontend::Flash;
use gatehouse_shared::SubStatus;

/// A domain error as a page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageError {
    /// The native API's status for this error.
    pub status: StatusCode,
    /// The code the caller may see: the domain has already hidden it per the tenant's inform flags.
    pub code: SubStatus,
}

impl PageError {
    /// The code's sentence.
    pub fn sentence(&self) -> String {
        sentence(self.code)
    }

    /// The code's sentence, as the message above a page.
    pub fn flash(&self) -> Flash {
        Flash::Error(self.sentence())
    }
}

impl From<&SsoError> for PageError {
    fn from(e: &SsoError) -> Self {
        let outcome = sso_outcome(e);
        PageError {
            status: outcome.status,
            code: outcome.code,
        }
    }
}

impl From<SsoError> for PageError {
    fn from(e: SsoError) -> Self {
        PageError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::Kind;

    #[test]
    fn a_page_answers_with_the_native_status_and_the_visible_code() {
        let hidden = SsoError::refused_if(Kind::Policy, SubStatus::PasswordTooShort, false);
        assert_eq!(
            PageError::from(&hidden),
            PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: SubStatus::AuthNotAllowed,
            },
            "the kind decides the status; the code is the one the caller may see"
        );
        let failed_login = SsoError::refused(Kind::Unauthenticated, SubStatus::AuthNotAllowed);
        assert_eq!(PageError::from(&failed_login).status, StatusCode::UNAUTHORIZED);
        let refused = SsoError::refused(Kind::Forbidden, SubStatus::AuthNotAllowed);
        assert_eq!(PageError::from(&refused).status, StatusCode::FORBIDDEN);
        let internal = PageError::from(SsoError::Internal("boom".into()));
        assert_eq!(
            (internal.status, internal.code),
            (StatusCode::INTERNAL_SERVER_ERROR, SubStatus::CommonInternalError)
        );
    }
}
