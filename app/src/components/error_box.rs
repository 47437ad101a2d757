//! A failure as a person reads it.

use leptos::prelude::*;

use crate::error::AppError;

/// On the server it also gives the response the error's status (a 400 for a bad search, a
/// 503 when writes are off), so the page and its status agree.
#[component]
pub fn ErrorBox(err: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(err.status))
    {
        response.set_status(status);
    }
    view! {
        <div class="error-box" role="alert">
            <h2>"Sorry, that didn’t work"</h2>
            <p>{err.message}</p>
        </div>
    }
}
