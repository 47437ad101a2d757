//! A failure as a person reads it.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorBox(err: AppError) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <h2>"Sorry, that didn’t work"</h2>
            <p>{err.message}</p>
        </div>
    }
}
