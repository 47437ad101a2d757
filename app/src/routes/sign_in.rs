//! `/sign-in`: for editors and admins.

use leptos::prelude::*;

use crate::api::SignIn;
use crate::escape::PageTitle;

/// Sign-in for editors and admins (readers need no account).
#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <PageTitle text="Sign in — Folio" />
        <section class="sign-in">
            <h1>"Sign in"</h1>
            <p class="muted">"For editors and admins. Reading needs no account."</p>
            <SignInForm />
        </section>
    }
}

/// Hydrated, a refusal (wrong password, too many attempts) shows in place; without JavaScript
/// it is a plain form post that the server redirects.
#[island(lazy)]
fn SignInForm() -> impl IntoView {
    crate::island_live();
    let action = ServerAction::<SignIn>::new();
    let error = move || match action.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
            <ActionForm action>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required data-testid="email" />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required
                        data-testid="password" />
                </label>
                <button type="submit" class="button button--primary" data-testid="sign-in-submit"
                    disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            {move || error().map(|msg| view! { <p class="form-error" role="alert" data-testid="sign-in-error">{msg}</p> })}
    }
}
