//! `/admin`: API tokens for every signed-in editor; accounts for admins.

use domain::accounts::auth::{Role, TokenInfo, User};
use domain::documents::model::format_date;
use leptos::prelude::*;

use crate::api::{admin_overview, AdminView, CreateAccount, CreateToken, RevokeToken, SetWrites};
use crate::escape::PageTitle;

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |()| admin_overview());
    view! {
        <PageTitle text="Admin — Folio" />
        <h1>"Admin"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(view) => view! { <AdminPanel view /> }.into_any(),
                    Err(err) if err.status == 401 => view! {
                        <p data-testid="admin-sign-in">
                            <a href="/sign-in">"Sign in"</a> " to manage API tokens and accounts."
                        </p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Tokens, accounts and the kill switch, refreshed in place after each action (a new token is
/// shown once, so this must not be a plain form post). The first view comes from the server
/// render as a prop; the island has no Suspense of its own, which keeps its wasm small.
#[island(lazy)]
fn AdminPanel(view: AdminView) -> impl IntoView {
    crate::island_live();
    let create_account = ServerAction::<CreateAccount>::new();
    let create_token = ServerAction::<CreateToken>::new();
    let revoke_token = ServerAction::<RevokeToken>::new();
    let set_writes = ServerAction::<SetWrites>::new();
    let current = RwSignal::new(view);
    Effect::watch(
        move || {
            (
                create_account.version().get(),
                create_token.version().get(),
                revoke_token.version().get(),
                set_writes.version().get(),
            )
        },
        move |_, _, _| {
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = admin_overview().await {
                    current.set(fresh);
                }
            });
        },
        false,
    );
    move || {
        let view = current.get();
        view! { <AdminSections view create_account create_token revoke_token set_writes /> }
    }
}

#[component]
fn AdminSections(
    view: AdminView,
    create_account: ServerAction<CreateAccount>,
    create_token: ServerAction<CreateToken>,
    revoke_token: ServerAction<RevokeToken>,
    set_writes: ServerAction<SetWrites>,
) -> impl IntoView {
    let is_admin = view.me.role == Role::Admin;
    let writes_disabled = view.writes_disabled;
    view! {
        <p class="muted">"Signed in as " {view.me.email.clone()} " (" {Role::as_str(view.me.role)} ")."</p>
        <p><a href="/admin/insights" data-testid="admin-insights">"Insights"</a>": what readers searched for and asked."</p>
        {is_admin.then(|| view! { <WritesSection writes_disabled set_writes /> })}
        <TokensSection tokens=view.tokens create_token revoke_token />
        {is_admin.then(|| view! { <AccountsSection users=view.users create_account /> })}
    }
}

/// The kill switch: pauses every content change on every isolate from the next request on.
#[component]
fn WritesSection(writes_disabled: bool, set_writes: ServerAction<SetWrites>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="writes">
            <h2>"Changes"</h2>
            {if writes_disabled {
                view! {
                    <p data-testid="writes-state"><strong>"Paused."</strong> " Folio is read-only: uploads, edits and votes are refused; reading works."</p>
                }.into_any()
            } else {
                view! { <p data-testid="writes-state">"Open. Editors can change content."</p> }.into_any()
            }}
            <ActionForm action=set_writes>
                <input type="hidden" name="disabled" value=(!writes_disabled).to_string() />
                <button type="submit" class="button" data-testid="toggle-writes">
                    {if writes_disabled { "Resume changes" } else { "Pause all changes" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TokensSection(
    tokens: Vec<TokenInfo>,
    create_token: ServerAction<CreateToken>,
    revoke_token: ServerAction<RevokeToken>,
) -> impl IntoView {
    let created = move || match create_token.value().get() {
        Some(Ok(token)) => Some(token),
        _ => None,
    };
    let error = move || match create_token.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <section class="panel" data-testid="tokens">
            <h2>"API tokens"</h2>
            <p class="muted">"Scripts send a token as " <code>"Authorization: Bearer …"</code> " to upload."</p>
            <ActionForm action=create_token attr:class="inline-form">
                <input type="text" name="name" placeholder="What is it for? e.g. CI import" required
                    data-testid="token-name" />
                <button type="submit" class="button" data-testid="create-token">"Create token"</button>
            </ActionForm>
            {move || error().map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })}
            {move || created().map(|token| view! {
                <div class="new-token" data-testid="new-token">
                    <p>"Copy it now: it will not be shown again."</p>
                    <code data-testid="new-token-value">{token.token}</code>
                </div>
            })}
            <table class="data-table">
                <thead><tr><th>"Name"</th><th>"Owner"</th><th>"Created"</th><th></th></tr></thead>
                <tbody>
                    {tokens.into_iter().map(|t| view! {
                        <tr data-testid="token-row">
                            <td>{t.name}</td>
                            <td>{t.owner}</td>
                            <td>{format_date(t.created_at)}</td>
                            <td>
                                {if t.revoked {
                                    view! { <span class="muted">"revoked"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=revoke_token>
                                            <input type="hidden" name="id" value=t.id />
                                            <button type="submit" class="link-button" data-testid="revoke-token">"Revoke"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn AccountsSection(users: Vec<User>, create_account: ServerAction<CreateAccount>) -> impl IntoView {
    let result = move || create_account.value().get();
    view! {
        <section class="panel" data-testid="accounts">
            <h2>"Accounts"</h2>
            <table class="data-table">
                <thead><tr><th>"Email"</th><th>"Role"</th></tr></thead>
                <tbody>
                    {users.into_iter().map(|u| view! {
                        <tr data-testid="account-row"><td>{u.email}</td><td>{Role::as_str(u.role)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Add an account"</h3>
            <ActionForm action=create_account attr:class="stacked-form">
                <label>"Email" <input type="email" name="email" required data-testid="account-email" /></label>
                <label>
                    "Password (at least 10 characters)"
                    <input type="password" name="password" required minlength="10" autocomplete="new-password"
                        data-testid="account-password" />
                </label>
                <label>
                    "Role"
                    <select name="role" data-testid="account-role">
                        <option value="editor" selected>"Editor: uploads and edits documents"</option>
                        <option value="admin">"Admin: also manages accounts and tokens"</option>
                    </select>
                </label>
                <button type="submit" class="button button--primary" data-testid="create-account">"Add account"</button>
            </ActionForm>
            {move || match result() {
                Some(Ok(user)) => Some(view! {
                    <p class="form-ok" data-testid="account-created">"Added " {user.email} "."</p>
                }.into_any()),
                Some(Err(err)) => Some(view! {
                    <p class="form-error" role="alert" data-testid="account-error">{err.message}</p>
                }.into_any()),
                None => None,
            }}
        </section>
    }
}
