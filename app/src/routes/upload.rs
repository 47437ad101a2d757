//! `/upload`: drop many files (or choose them); each gets a real upload progress bar (one XHR
//! per file, `upload.onprogress`), its result (created / updated / duplicate / rejected with
//! the reason) and then its live ingest status, polled until ready or failed.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, FileList, HtmlInputElement, ProgressEvent, XmlHttpRequest};

use crate::api::{fetch_upload_settings, ingest_status, UploadSettings};
use crate::escape::PageTitle;
use domain::documents::model::VersionStatus;

/// One file on its way in.
#[derive(Clone, Copy)]
struct Upload {
    key: usize,
    name: StoredValue<String>,
    progress: RwSignal<f64>,
    result: RwSignal<Option<String>>,
    status: RwSignal<Option<VersionStatus>>,
    error: RwSignal<Option<String>>,
    slug: RwSignal<Option<String>>,
}

impl Upload {
    fn new(key: usize, name: String) -> Self {
        Self {
            key,
            name: StoredValue::new(name),
            progress: RwSignal::new(0.0),
            result: RwSignal::new(None),
            status: RwSignal::new(None),
            error: RwSignal::new(None),
            slug: RwSignal::new(None),
        }
    }

    /// A word for tests and styling: uploading, queued, extracting, ready, failed or rejected.
    fn state(&self) -> String {
        if self.error.get().is_some() {
            "rejected".into()
        } else {
            self.status.get().map_or("uploading", VersionStatus::as_str).into()
        }
    }
}

#[component]
pub fn UploadPage() -> impl IntoView {
    let crate::Viewer(user) = expect_context::<crate::Viewer>();
    let settings = Resource::new(|| (), |()| fetch_upload_settings());
    view! {
        <PageTitle text="Upload — Folio" />
        <h1>"Upload"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (user.await, settings.await) {
                    (Ok(Some(_)), Ok(settings)) => view! { <Uploader settings /> }.into_any(),
                    (Ok(Some(_)), Err(err)) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    _ => view! {
                        <p data-testid="upload-sign-in"><a href="/sign-in">"Sign in"</a> " to upload documents."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Says so up front when an admin has disabled writes (uploads and edits would be refused).
#[component]
pub fn ReadOnlyBanner() -> impl IntoView {
    let settings = Resource::new(|| (), |()| fetch_upload_settings());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                settings.await.is_ok_and(|s| s.writes_disabled).then(read_only_notice)
            })}
        </Suspense>
    }
}

fn read_only_notice() -> impl IntoView {
    view! {
        <p class="notice notice--warning" role="status" data-testid="read-only-banner">
            "Writes are disabled by an admin: uploads and edits are refused until they are enabled again."
        </p>
    }
}

/// The whole upload form is interactive: it runs in the browser as an island.
#[island(lazy)]
fn Uploader(settings: UploadSettings) -> impl IntoView {
    crate::island_live();
    let uploads = RwSignal::new(Vec::<Upload>::new());
    let folder = RwSignal::new(String::new());
    let next_key = StoredValue::new(0_usize);
    let add_files = move |files: FileList| {
        for i in 0..files.length() {
            let Some(file) = files.get(i) else { continue };
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            let upload = Upload::new(key, file.name());
            uploads.update(|list| list.push(upload));
            send(file, &folder.get_untracked(), upload);
        }
    };
    view! {
        <p class="muted">
            {format!(
                "Markdown, plain text, HTML, PDF and images (PNG, JPEG, GIF, WebP), up to {} MB each. ",
                settings.max_upload_mb
            )}
            "Uploading a file with the same name (in the same folder) again makes a new version."
        </p>
        {settings.writes_disabled.then(read_only_notice)}
        <label class="field">
            "Folder (optional)"
            <input type="text" placeholder="e.g. guides/setup" data-testid="folder-input"
                prop:value=move || folder.get()
                on:input=move |ev| folder.set(event_target_value(&ev)) />
        </label>
        <label
            class="dropzone"
            data-testid="dropzone"
            on:dragover=|ev: DragEvent| ev.prevent_default()
            on:drop=move |ev: DragEvent| {
                ev.prevent_default();
                if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
                    add_files(files);
                }
            }
        >
            <span class="dropzone__text">"Drop files here, or " <u>"choose files"</u></span>
            <input
                type="file"
                multiple
                class="dropzone__input"
                data-testid="file-input"
                on:change=move |ev| {
                    let input: HtmlInputElement = event_target(&ev);
                    if let Some(files) = input.files() {
                        add_files(files);
                    }
                    input.set_value("");
                }
            />
        </label>
        <ul class="uploads" data-testid="uploads">
            <For each=move || uploads.get() key=|u| u.key let:upload>
                <UploadRow upload />
            </For>
        </ul>
    }
}

#[component]
fn UploadRow(upload: Upload) -> impl IntoView {
    let label = move || {
        if let Some(err) = upload.error.get() {
            return format!("Rejected: {err}");
        }
        match (upload.result.get(), upload.status.get()) {
            (Some(result), Some(status)) => format!("{result} · {}", status.as_str()),
            _ => format!("Uploading {:.0}%", upload.progress.get() * 100.0),
        }
    };
    view! {
        <li class="upload" data-testid="upload-row" data-state=move || upload.state()>
            <span class="upload__name" data-testid="upload-name">{upload.name.get_value()}</span>
            <progress max="1" value=move || upload.progress.get() data-testid="upload-progress"></progress>
            {move || {
                (upload.status.get() == Some(VersionStatus::Ready))
                    .then(|| upload.slug.get())
                    .flatten()
                    .map(|slug| view! { <a href=format!("/docs/{slug}") data-testid="upload-link">"Open"</a> })
            }}
            <span class="upload__state" data-testid="upload-state">{label}</span>
        </li>
    }
}

/// Posts one file with XHR (fetch cannot report upload progress) and follows its ingest.
fn send(file: web_sys::File, folder: &str, upload: Upload) {
    let fail = move |msg: &str| upload.error.set(Some(msg.to_owned()));
    let Ok(xhr) = XmlHttpRequest::new() else { return fail("This browser cannot upload files.") };
    let Ok(form) = web_sys::FormData::new() else { return fail("This browser cannot upload files.") };
    if (!folder.is_empty() && form.append_with_str("folder", folder).is_err())
        || form.append_with_blob_and_filename("file", &file, &file.name()).is_err()
        || xhr.open("POST", "/api/documents").is_err()
    {
        return fail("This browser cannot upload files.");
    }
    if let Ok(target) = xhr.upload() {
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                upload.progress.set(ev.loaded() / ev.total());
            }
        });
        target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    let done = xhr.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        upload.progress.set(1.0);
        let body = done.response_text().ok().flatten().unwrap_or_default();
        handle_response(done.status().unwrap_or(0), &body, upload);
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        upload.error.set(Some("The upload failed: the connection was lost.".into()));
    });
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        fail("The upload could not start.");
    }
}

fn handle_response(http_status: u16, body: &str, upload: Upload) {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let first = if http_status == 201 { json.get(0).cloned().unwrap_or_default() } else { json };
    let (None, Some(id), Some(result)) = (
        first.get("error"),
        first.get("id").and_then(|v| v.as_i64()),
        first.get("result").and_then(|v| v.as_str()),
    ) else {
        upload.error.set(Some(crate::error::rest_failure(http_status, &first)));
        return;
    };
    upload.result.set(Some(result.to_owned()));
    upload.slug.set(first.get("slug").and_then(|v| v.as_str()).map(str::to_owned));
    upload.status.set(first.get("status").and_then(|v| serde_json::from_value(v.clone()).ok()));
    follow(id, upload);
}

/// Polls the ingest status until the version is ready or failed.
fn follow(id: i64, upload: Upload) {
    leptos::task::spawn_local(async move {
        match ingest_status(id).await {
            Ok(status) => {
                let state = status.status;
                if state == Some(VersionStatus::Failed) {
                    upload.error.set(status.error.or(Some("Ingest failed.".into())));
                }
                upload.status.set(state);
                if !state.is_some_and(VersionStatus::is_final) {
                    set_timeout(move || follow(id, upload), std::time::Duration::from_millis(700));
                }
            }
            Err(err) => upload.error.set(Some(err.message)),
        }
    });
}
