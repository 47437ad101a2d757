//! An answer to a question: its sources, the answer with its citations, and how it ended. The
//! model's words reach the page only as text nodes inside the few elements
//! [`domain::ask::render`] allows; links come from the sources, never from the answer.

use domain::ask::render::{blocks, Block, Inline};
use domain::ask::{Answered, Source};
use leptos::prelude::*;

#[component]
pub fn AnswerView(answered: Answered, #[prop(optional)] asking: bool) -> impl IntoView {
    let Answered { sources, quick, answer, done, .. } = answered;
    let answer_blocks = blocks(&answer, sources.len());
    let not_found = done.as_ref().is_some_and(|d| d.not_found);
    // The model's answer did not hold up and the quick answer's sentences are the answer: shown
    // once, as the answer.
    let quoted = done.as_ref().is_some_and(|d| d.quoted);
    let class = match (not_found, quoted) {
        (true, _) => "ask-answer ask-answer--not-found",
        (false, true) => "ask-answer ask-answer--quoted",
        (false, false) => "ask-answer",
    };
    let status = done.as_ref().map(|d| {
        let mut parts = Vec::new();
        if d.cached {
            parts.push("answered before".to_owned());
        }
        if d.quoted {
            parts.push("the passages' own words (the model's answer did not hold up)".to_owned());
        }
        if let Some(quick) = d.timings.quick_ms {
            parts.push(format!("quick answer after {quick} ms"));
        }
        if let Some(first) = d.timings.first_text_ms {
            parts.push(format!("first words after {first} ms"));
        }
        parts.push(format!("{} ms in all", d.timings.total_ms));
        parts.join(" · ")
    });
    let unavailable = done.as_ref().and_then(|d| d.unavailable.clone());
    // A small model sometimes answers without citing: the reader is told to check it.
    let uncited = done.as_ref().is_some_and(|d| {
        !d.not_found && d.unavailable.is_none() && d.citations.is_empty() && !answer.trim().is_empty()
    });
    let degraded = done.as_ref().is_some_and(|d| d.degraded);
    let cite_sources = sources.clone();
    // The passages' own sentences, each cited: shown from before the model's first word on.
    let quick = (!quick.sentences.is_empty() && !quoted).then(|| {
        let sentences = quick
            .sentences
            .into_iter()
            .map(|c| {
                let inlines = vec![Inline::Text(c.text), Inline::Text(" ".into()), Inline::Cite(c.n)];
                render_inlines(inlines, &sources, "ask-quick-cite")
            })
            .map(|inlines| view! { <p>{inlines}</p> })
            .collect_view();
        view! {
            <section class="ask-quick" data-testid="ask-quick" aria-label="Quick answer">
                <h2 class="ask-quick__title">"Quick answer "<span class="muted">"· from the passages"</span></h2>
                {sentences}
            </section>
        }
    });
    view! {
        {quick}
        {(!answer.is_empty() || asking).then(|| view! {
            <div class=class data-testid="ask-answer" aria-live="polite" aria-busy=asking.to_string()>
                // Where the quoted answer's words come from, as the quick answer said.
                {quoted.then(|| view! {
                    <h2 class="ask-quick__title">"Answer "<span class="muted">"· from the passages"</span></h2>
                })}
                {answer_blocks.into_iter().map(|block| render_block(block, &cite_sources)).collect_view()}
                {asking.then(|| view! { <span class="ask-answer__cursor" aria-hidden="true"></span> })}
            </div>
        })}
        {uncited.then(|| view! {
            <p class="notice" role="status" data-testid="ask-uncited">
                "This answer cites none of the sources below: check it against them."
            </p>
        })}
        {unavailable.map(|why| view! { <p class="notice" role="status" data-testid="ask-unavailable">{why}</p> })}
        {degraded.then(|| view! {
            <p class="notice" role="status">"Semantic search is unavailable right now: these sources match your words only."</p>
        })}
        {status.map(|s| view! { <p class="muted ask-status" data-testid="ask-status">{s}</p> })}
        {(!sources.is_empty()).then(|| view! {
            // With no answer the passages are not its sources, only the nearest places to look.
            <h2 class="ask-sources__title" data-testid="ask-sources-title">
                {if not_found { "You could look at" } else { "Sources" }}
            </h2>
            <ol class="ask-sources" data-testid="ask-sources">
                {sources.into_iter().map(|s| view! { <SourceItem source=s /> }).collect_view()}
            </ol>
        })}
    }
}

#[component]
fn SourceItem(source: Source) -> impl IntoView {
    view! {
        <li class="ask-source" id=format!("source-{}", source.n) data-testid="ask-source">
            <a class="ask-source__title" href=source.url.clone()>{source.title}</a>
            {(!source.heading.is_empty()).then(|| view! { <span class="ask-source__heading">{source.heading}</span> })}
            <p class="ask-source__text">{source.text}</p>
        </li>
    }
}

fn render_block(block: Block, sources: &[Source]) -> AnyView {
    match block {
        Block::Paragraph(inlines) => view! { <p>{render_inlines(inlines, sources, "ask-cite")}</p> }.into_any(),
        Block::List(items) => view! {
            <ul>{items.into_iter().map(|item| view! { <li>{render_inlines(item, sources, "ask-cite")}</li> }).collect_view()}</ul>
        }
        .into_any(),
    }
}

/// `cite_id` names the citation links for tests (the answer's and the quick answer's apart).
fn render_inlines(inlines: Vec<Inline>, sources: &[Source], cite_id: &'static str) -> Vec<AnyView> {
    inlines
        .into_iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.into_any(),
            Inline::Strong(text) => view! { <strong>{text}</strong> }.into_any(),
            Inline::Code(text) => view! { <code>{text}</code> }.into_any(),
            Inline::Cite(n) => match sources.get(n - 1) {
                // The passage shows on hover and focus (CSS); the link opens its section.
                Some(source) => view! {
                    <a class="cite" href=source.url.clone() data-testid=cite_id>
                        {format!("[{n}]")}
                        <span class="cite__passage" role="tooltip">
                            <strong>{source.title.clone()}</strong>" "{source.text.clone()}
                        </span>
                    </a>
                }
                .into_any(),
                None => format!("[{n}]").into_any(),
            },
        })
        .collect()
}

/// "Did this answer help?" under an answer that ended: 👍/👎 with an optional reason. A real
/// form with the question, the answer and its sources as the reader saw them in hidden fields,
/// so it posts without JavaScript too; hydrated, it votes in place and says thanks.
#[component]
pub fn AnswerFeedback(question: domain::ask::Params, answered: Answered) -> impl IntoView {
    use domain::insights::{Reason, SourceShown};
    let action = ServerAction::<crate::api::VoteAnswer>::new();
    let sources: Vec<SourceShown> = answered.sources.iter().map(SourceShown::from).collect();
    let sources = serde_json::to_string(&sources).unwrap_or_else(|_| "[]".into());
    let thanks = move || matches!(action.value().get(), Some(Ok(())));
    let failure = move || match action.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <aside class="vote ask-feedback" data-testid="ask-feedback">
            <ActionForm action>
                <input type="hidden" name="question" value=question.question />
                <input type="hidden" name="folder" value=question.folder.unwrap_or_default() />
                <input type="hidden" name="tag" value=question.tag.unwrap_or_default() />
                <input type="hidden" name="answer" value=answered.answer />
                <input type="hidden" name="sources" value=sources />
                <span class="vote__question">"Did this answer help?"</span>
                <button type="submit" name="helpful" value="true" data-testid="ask-vote-yes"
                    disabled=move || action.pending().get()>"👍 Yes"</button>
                <button type="submit" name="helpful" value="false" data-testid="ask-vote-no"
                    disabled=move || action.pending().get()>"👎 No"</button>
                <label class="ask-feedback__reason">
                    "If not, why? "
                    <select name="reason" data-testid="ask-vote-reason">
                        <option value="">"(optional)"</option>
                        {Reason::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
            </ActionForm>
            <Show when=thanks>
                <p class="vote__thanks" data-testid="ask-vote-thanks">"Thanks for your feedback."</p>
            </Show>
            {move || failure().map(|msg| view! { <p class="vote__error" role="alert">{msg}</p> })}
        </aside>
    }
}
