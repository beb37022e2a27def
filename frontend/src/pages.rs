//! Pages shared by every area: errors.

use crate::{Chrome, Flash, message_page};
use gatehouse_shared::SubStatus;

/// An error page for a status: the sentence, and the sub-status code for support.
pub fn error_page(chrome: &Chrome, title: &str, sentence: &str, code: SubStatus) -> String {
    message_page(chrome, title, Flash::Error(format!("{sentence} ({code})")), None)
}
