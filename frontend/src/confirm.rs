//! The confirmation page of a destructive or locking action: what will happen in words, and the same form
//! posted again with `confirmed=yes`. It needs no JavaScript; cancelling is a link back.

use crate::{Chrome, csrf_field, document};
use leptos::prelude::*;

#[derive(Debug, Clone)]
pub struct ConfirmView {
    pub title: String,
    /// What the action does, in sentences.
    pub consequences: String,
    /// Where the form posts (the action itself).
    pub action: String,
    /// The fields of the form as it was posted (the form token is added anew).
    pub hidden: Vec<(String, String)>,
    /// The button's words, e.g. "Lock alice".
    pub confirm: String,
    /// Where "Cancel" goes.
    pub back: String,
}

pub fn confirm_page(chrome: &Chrome, v: ConfirmView) -> String {
    let csrf = chrome.csrf.clone();
    let hidden = v
        .hidden
        .into_iter()
        .filter(|(k, _)| k != "csrf" && k != "confirmed")
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view();
    let title = v.title.clone();
    document(
        &v.title,
        chrome,
        true,
        view! {
            <h1>{title}</h1>
            <div class="notice" role="status">{v.consequences}</div>
            <form method="post" action=v.action>
                {csrf_field(&csrf)}
                {hidden}
                <input type="hidden" name="confirmed" value="yes"/>
                <button type="submit" class="danger">{v.confirm}</button>
            </form>
            <p><a href=v.back>"Cancel"</a></p>
        },
    )
}
