//! Insights: what readers searched for and asked, and what they thought of the answers, so
//! editors see on the site itself what the documents fail to answer (`/admin/insights`).
//!
//! What is kept: each search's normalised query, how many documents it found, whether a result
//! was opened (and, when the reader said, whether it helped), and when; each question as asked and whether it was answered "not found"; each
//! 👍/👎 on an answer with the question, the answer and the sources the reader was shown, and an
//! optional reason. Never a reader's address: a vote's voter is a hash of it and the answer.
//! Rows older than [`KEEP_DAYS`] are forgotten by the sweep ([`forget_old`]); the `INSIGHTS`
//! setting turns collecting off (what was kept stays readable until the sweep forgets it).
//!
//! Search as you type would count every pause in typing as a search. The dialog's searches
//! are marked live: a live search that extends (or trims) the query of a live search recorded
//! in the last [`LIVE_WINDOW_SECS`] seconds replaces it, so "w", "wa", "wal mode" is one search
//! for "wal mode". Two readers typing the same prefix within those seconds count once.

mod report;

pub use report::{csv, AnswerVoteRow, Days, Kind, QuestionRow, Report, SearchRow, SourceShown, TOP};

use serde::{Deserialize, Serialize};

use crate::ask::{Question, Source};
use crate::error::DomainError;
use crate::ports::Ports;
use crate::site::settings;
use crate::site::Site;
use crate::sql::Statement;

/// How long anything collected is kept.
pub const KEEP_DAYS: i64 = 90;
/// How long a live search stays open to the reader's next keystroke.
pub const LIVE_WINDOW_SECS: i64 = 20;
/// Longest query kept, in characters (longer ones are cut: insights group, they don't archive).
pub const MAX_QUERY_CHARS: usize = 200;
/// Longest answer a vote keeps, in characters.
pub const MAX_ANSWER_CHARS: usize = 8_000;
/// How long after a search a click on one of its results counts for it.
const CLICK_WINDOW_SECS: i64 = 3_600;

/// Collection settings, fixed per host (`INSIGHTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Record searches, questions and answer votes.
    pub collect: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self { collect: true }
    }
}

/// A query as insights group it: trimmed, runs of white space as one space, lower-case, at
/// most [`MAX_QUERY_CHARS`] characters. Empty when nothing is left.
pub fn normalise(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect()
}

/// Records a search after the response (the reader never waits for it): its query, how many
/// documents it found, and whether it was typed live. Nothing when collecting is off or the
/// query is empty.
pub fn record_search_later(site: &Site, query: &str, results: usize, live: bool) {
    let query = normalise(query);
    if !site.insights.collect || query.is_empty() {
        return;
    }
    let ports = site.ports.clone();
    let results = i64::try_from(results).unwrap_or(i64::MAX);
    site.ports.tasks.spawn(
        "insights-search",
        Box::pin(async move {
            if let Err(err) = record_search(&ports, &query, results, live).await {
                tracing::warn!(%err, "insights: a search was not recorded");
            }
        }),
    );
}

/// See [`record_search_later`]. A live search first tries to extend the latest live row whose
/// query is a prefix of this one (or this one of it); only when none is open does it add one.
pub async fn record_search(ports: &Ports, query: &str, results: i64, live: bool) -> Result<(), DomainError> {
    if live {
        let extended = ports
            .db
            .execute(
                Statement::new(
                    "UPDATE insight_searches SET query = ?1, results = ?2, at = unixepoch()
                     WHERE id = (SELECT id FROM insight_searches
                                 WHERE live = 1 AND clicked = 0 AND at >= unixepoch() - ?3
                                   AND (substr(?1, 1, length(query)) = query OR substr(query, 1, length(?1)) = ?1)
                                 ORDER BY id DESC LIMIT 1)",
                )
                .bind(query)
                .bind(results)
                .bind(LIVE_WINDOW_SECS),
            )
            .await?;
        if extended > 0 {
            return Ok(());
        }
    }
    ports
        .db
        .execute(
            Statement::new("INSERT INTO insight_searches (query, results, live) VALUES (?1, ?2, ?3)")
                .bind(query)
                .bind(results)
                .bind(live),
        )
        .await?;
    Ok(())
}

/// A reader opened a result of a search for `query`: the latest such search within the hour
/// that has no click yet counts as clicked through. `false` when there was none to mark.
pub async fn record_click(site: &Site, query: &str) -> Result<bool, DomainError> {
    mark_latest_search(site, query, "clicked = ?3", "clicked = 0 AND results > 0", true).await
}

/// The reader who opened a result of a search for `query` says whether it helped: kept on the
/// latest clicked-through search for that query within the hour (a second answer replaces the
/// first). `false` when there was no such search to mark (nothing is added: a "did this help?"
/// counts only for a search that happened).
pub async fn record_helped(site: &Site, query: &str, helped: bool) -> Result<bool, DomainError> {
    mark_latest_search(site, query, "helped = ?3", "clicked = 1", helped).await
}

/// Sets `set` (with `value` as `?3`) on the latest search for `query` within the hour
/// that matches `which`. `false` when none did, or collecting is off.
async fn mark_latest_search(
    site: &Site,
    query: &str,
    set: &str,
    which: &str,
    value: bool,
) -> Result<bool, DomainError> {
    let query = normalise(query);
    if !site.insights.collect || query.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "UPDATE insight_searches SET {set}
         WHERE id = (SELECT id FROM insight_searches
                     WHERE query = ?1 AND {which} AND at >= unixepoch() - ?2
                     ORDER BY id DESC LIMIT 1)"
    );
    let marked =
        site.ports.db.execute(Statement::new(sql).bind(query).bind(CLICK_WINDOW_SECS).bind(value)).await?;
    Ok(marked > 0)
}

/// Where a result link of a search for `query` pings as the reader opens it (`<a ping>`: the
/// browser posts there as it follows the link, with no script; see [`record_click`]).
pub fn click_url(query: &str) -> String {
    let mut url = String::from("/api/search/click?q=");
    for byte in query.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => url.push(char::from(byte)),
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

/// Records a question after the response, and whether it was answered "not found".
pub fn record_question_later(site: &Site, question: &Question, not_found: bool) {
    // As asked (case kept); the report groups questions regardless of case.
    let text = normalise_question(&question.text);
    if !site.insights.collect || text.is_empty() {
        return;
    }
    let ports = site.ports.clone();
    site.ports.tasks.spawn(
        "insights-question",
        Box::pin(async move {
            let insert =
                Statement::new("INSERT INTO insight_questions (question, not_found) VALUES (?1, ?2)")
                    .bind(text)
                    .bind(not_found);
            if let Err(err) = ports.db.execute(insert).await {
                tracing::warn!(%err, "insights: a question was not recorded");
            }
        }),
    );
}

/// Why an answer did not help, when the reader says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Wrong,
    Incomplete,
    OffTopic,
}

impl Reason {
    pub const ALL: [Self; 3] = [Self::Wrong, Self::Incomplete, Self::OffTopic];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wrong => "wrong",
            Self::Incomplete => "incomplete",
            Self::OffTopic => "off-topic",
        }
    }

    /// What the form says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Wrong => "Wrong",
            Self::Incomplete => "Incomplete",
            Self::OffTopic => "Off-topic",
        }
    }

    /// `""` is no reason; anything else unknown is a 400.
    pub fn parse(value: &str) -> Result<Option<Self>, DomainError> {
        match value.trim() {
            "" => Ok(None),
            v => Self::ALL.into_iter().find(|r| r.as_str() == v).map(Some).ok_or_else(|| {
                DomainError::BadInput("The reason must be wrong, incomplete or off-topic.".into())
            }),
        }
    }
}

/// A 👍/👎 on an answer, with what the reader was shown.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerVote {
    pub question: Question,
    pub answer: String,
    pub sources: Vec<SourceShown>,
    pub helpful: bool,
    pub reason: Option<Reason>,
}

impl AnswerVote {
    /// The sources as the page listed them, checked: at most [`crate::ask::SOURCES`], each a
    /// link into a document (so an insights page never links anywhere else).
    pub fn sources_from(shown: &[Source]) -> Vec<SourceShown> {
        shown.iter().map(SourceShown::from).collect()
    }

    fn check(&self) -> Result<(), DomainError> {
        let bad = |why: &str| Err(DomainError::BadInput(why.into()));
        if self.answer.trim().is_empty() {
            return bad("There is no answer to vote on.");
        }
        if self.answer.chars().count() > MAX_ANSWER_CHARS {
            return bad("That answer is too long to vote on.");
        }
        if self.sources.len() > crate::ask::SOURCES {
            return bad("An answer has at most four sources.");
        }
        if self.sources.iter().any(|s| !s.url.starts_with("/docs/") || s.title.chars().count() > 300) {
            return bad("A source must be a document of this site.");
        }
        Ok(())
    }

    /// What identifies the answer voted on: the question (as Ask keys it) and the answer text.
    fn answer_id(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            format!("folio answer\n{}\n{}", self.question.key(), self.answer).as_bytes(),
        ))
    }
}

/// Records `voter`'s vote on an answer: voting again on the same answer changes the vote (and
/// its reason), never adds one. `voter` is the reader's address; only a hash of it together
/// with the answer is stored, so one reader's votes on different answers cannot be linked. A
/// vote is a write: refused while changes are paused, and while collecting is off.
pub async fn vote_answer(site: &Site, vote: &AnswerVote, voter: &str) -> Result<(), DomainError> {
    use sha2::{Digest, Sha256};
    if !site.insights.collect {
        return Err(DomainError::Forbidden("Feedback on answers is turned off on this site.".into()));
    }
    vote.check()?;
    let ports = &site.ports;
    settings::ensure_writable(ports).await?;
    let answer_id = vote.answer_id();
    let voter = hex::encode(Sha256::digest(format!("folio answer vote\n{answer_id}\n{voter}").as_bytes()));
    let sources = serde_json::to_string(&vote.sources)
        .map_err(|e| DomainError::Internal(format!("sources of a vote: {e}")))?;
    ports
        .db
        .execute(
            Statement::new(
                "INSERT INTO answer_votes (answer_id, voter, helpful, reason, question, answer, sources)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (answer_id, voter) DO UPDATE SET helpful = excluded.helpful,
                   reason = excluded.reason, voted_at = unixepoch()",
            )
            .bind(answer_id)
            .bind(voter)
            .bind(vote.helpful)
            .bind(vote.reason.map(Reason::as_str))
            .bind(normalise_question(&vote.question.text))
            .bind(vote.answer.as_str())
            .bind(sources),
        )
        .await?;
    Ok(())
}

/// A question as a vote and the question log keep it: white space collapsed, case kept.
fn normalise_question(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Forgets everything collected more than [`KEEP_DAYS`] ago (the sweep runs it).
pub async fn forget_old(ports: &Ports) -> Result<u64, DomainError> {
    let before = KEEP_DAYS * 86_400;
    let mut forgotten = 0;
    for sql in [
        "DELETE FROM insight_searches WHERE at < unixepoch() - ?1",
        "DELETE FROM insight_questions WHERE at < unixepoch() - ?1",
        "DELETE FROM answer_votes WHERE voted_at < unixepoch() - ?1",
    ] {
        forgotten += ports.db.execute(Statement::new(sql).bind(before)).await?;
    }
    Ok(forgotten)
}

/// What `/admin/insights` shows for the last `days`, to any editor (what readers could not
/// find is what editors write next; admins are editors too).
pub async fn report(
    site: &Site,
    _editor: &crate::accounts::auth::User,
    days: Days,
) -> Result<Report, DomainError> {
    report::load(&site.ports, days, site.insights.collect).await
}

/// Whether this site collects insights (the Ask page offers 👍/👎 only then).
pub fn collecting(site: &Site) -> bool {
    site.insights.collect
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_grouped_trimmed_lower_case_and_cut() {
        assert_eq!(normalise("  WAL   Mode\t"), "wal mode");
        assert_eq!(normalise(" \n "), "");
        assert_eq!(normalise(&"x".repeat(500)).chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn a_click_url_carries_the_query_encoded() {
        assert_eq!(click_url("wal mode&x=<1>"), "/api/search/click?q=wal%20mode%26x%3D%3C1%3E");
    }

    #[test]
    fn a_reason_is_one_of_three_or_none() {
        assert_eq!(Reason::parse("").ok(), Some(None));
        assert_eq!(Reason::parse("off-topic").ok(), Some(Some(Reason::OffTopic)));
        assert!(Reason::parse("rude").is_err());
    }

    #[test]
    fn a_vote_names_documents_of_this_site_only() {
        let question = Question { text: "What is WAL?".into(), folder: None, tag: None, thread: Vec::new() };
        let source =
            |url: &str| SourceShown { n: 1, title: "WAL".into(), heading: String::new(), url: url.into() };
        let vote = |url: &str, answer: &str| AnswerVote {
            question: question.clone(),
            answer: answer.into(),
            sources: vec![source(url)],
            helpful: false,
            reason: None,
        };
        assert!(vote("/docs/wal#top", "A log [1].").check().is_ok());
        assert!(vote("javascript:alert(1)", "A log [1].").check().is_err());
        assert!(vote("/docs/wal", " ").check().is_err());
        // The same answer to the same question (as Ask keys it) is one thing to vote on.
        let other = AnswerVote {
            question: Question { text: "what is wal".into(), ..question.clone() },
            ..vote("/docs/wal", "A log [1].")
        };
        assert_eq!(other.answer_id(), vote("/docs/wal", "A log [1].").answer_id());
        assert_ne!(vote("/docs/wal", "Another [1].").answer_id(), other.answer_id());
    }
}
