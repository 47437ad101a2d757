//! What `/admin/insights` shows and its CSV: the database groups rows by query, question or
//! answer; the ranking, the click-through and the CSV are worked out here, where they are
//! tested without a database.

use serde::{Deserialize, Serialize};

use crate::ask::Source;
use crate::documents::model::format_date;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;

/// Rows in each list (the CSV has every group).
pub const TOP: usize = 20;
/// Most groups read for a list or a CSV.
const MOST_GROUPS: i64 = 1_000;

/// The window a report covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Days {
    #[default]
    Week,
    Month,
}

impl Days {
    pub fn count(self) -> i64 {
        match self {
            Self::Week => 7,
            Self::Month => 30,
        }
    }

    /// `?days=`: 7 (the default) or 30.
    pub fn parse(value: Option<&str>) -> Result<Self, DomainError> {
        match value.map(str::trim) {
            None | Some("" | "7") => Ok(Self::Week),
            Some("30") => Ok(Self::Month),
            Some(other) => Err(DomainError::BadInput(format!("days must be 7 or 30, not {other:?}."))),
        }
    }
}

/// A list of the report, as `?kind=` names it in the CSV's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Searches,
    NoResults,
    NotFound,
    Downvoted,
}

impl Kind {
    pub const ALL: [Self; 4] = [Self::Searches, Self::NoResults, Self::NotFound, Self::Downvoted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Searches => "searches",
            Self::NoResults => "no-results",
            Self::NotFound => "not-found",
            Self::Downvoted => "downvoted",
        }
    }

    pub fn parse(value: Option<&str>) -> Result<Self, DomainError> {
        let value = value.map(str::trim).unwrap_or("searches");
        Self::ALL.into_iter().find(|k| k.as_str() == value).ok_or_else(|| {
            DomainError::BadInput(format!(
                "kind must be searches, no-results, not-found or downvoted, not {value:?}."
            ))
        })
    }
}

/// One query: how often it was searched, how often it found nothing, how often a result was
/// opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRow {
    pub query: String,
    pub searches: u64,
    pub empty: u64,
    pub clicked: u64,
    /// Opened results the reader said helped, and said did not ("did this help?").
    #[serde(default)]
    pub helped: u64,
    #[serde(default)]
    pub unhelpful: u64,
    pub last_at: i64,
}

impl SearchRow {
    /// Share of the searches that found something in which a result was opened, in whole
    /// percent; `None` when none found anything.
    pub fn click_through(&self) -> Option<u64> {
        let found = self.searches.saturating_sub(self.empty);
        (found > 0).then(|| (self.clicked.min(found) * 100 + found / 2) / found)
    }
}

/// One question (grouped regardless of case): how often asked, how often "not found".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question: String,
    pub asked: u64,
    pub not_found: u64,
    pub last_at: i64,
}

/// A source as the reader was shown it beside an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceShown {
    pub n: usize,
    pub title: String,
    #[serde(default)]
    pub heading: String,
    pub url: String,
}

impl From<&Source> for SourceShown {
    fn from(s: &Source) -> Self {
        Self { n: s.n, title: s.title.clone(), heading: s.heading.clone(), url: s.url.clone() }
    }
}

/// An answer readers voted down, with what they were shown and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerVoteRow {
    pub question: String,
    pub answer: String,
    pub sources: Vec<SourceShown>,
    pub down: u64,
    pub up: u64,
    /// The reasons given, most given first, each once.
    pub reasons: Vec<String>,
    pub last_at: i64,
}

/// Everything `/admin/insights` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub days: Days,
    /// The site collects now (`INSIGHTS`); what was collected before stays 90 days either way.
    pub collecting: bool,
    pub searches: u64,
    pub searches_empty: u64,
    pub questions: u64,
    pub questions_not_found: u64,
    pub votes_up: u64,
    pub votes_down: u64,
    /// Most searched first.
    pub top_searches: Vec<SearchRow>,
    /// Most often empty first.
    pub no_results: Vec<SearchRow>,
    /// Most often "not found" first.
    pub not_found: Vec<QuestionRow>,
    /// Most voted down first.
    pub downvoted: Vec<AnswerVoteRow>,
}

/// The top searches and the searches that found nothing, from every query's counts: each list
/// best first (more searches, then the latest, then by query so the order is stable), at most
/// `top` long.
pub fn group_searches(mut rows: Vec<SearchRow>, top: usize) -> (Vec<SearchRow>, Vec<SearchRow>) {
    let mut empty: Vec<SearchRow> = rows.iter().filter(|r| r.empty > 0).cloned().collect();
    empty.sort_by(|a, b| {
        b.empty.cmp(&a.empty).then(b.last_at.cmp(&a.last_at)).then_with(|| a.query.cmp(&b.query))
    });
    empty.truncate(top);
    rows.sort_by(|a, b| {
        b.searches.cmp(&a.searches).then(b.last_at.cmp(&a.last_at)).then_with(|| a.query.cmp(&b.query))
    });
    rows.truncate(top);
    (rows, empty)
}

/// Questions answered "not found" at least once, most often first.
pub fn not_found_questions(mut rows: Vec<QuestionRow>, top: usize) -> Vec<QuestionRow> {
    rows.retain(|r| r.not_found > 0);
    rows.sort_by(|a, b| {
        b.not_found
            .cmp(&a.not_found)
            .then(b.last_at.cmp(&a.last_at))
            .then_with(|| a.question.cmp(&b.question))
    });
    rows.truncate(top);
    rows
}

/// Reasons as the database concatenates them (`wrong,wrong,off-topic`): most given first, each
/// once.
fn reasons(concatenated: Option<&str>) -> Vec<String> {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for reason in concatenated.unwrap_or("").split(',').filter(|r| !r.is_empty()) {
        match counted.iter_mut().find(|(r, _)| r == reason) {
            Some((_, n)) => *n += 1,
            None => counted.push((reason.to_owned(), 1)),
        }
    }
    counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counted.into_iter().map(|(r, _)| r).collect()
}

pub(super) async fn load(ports: &Ports, days: Days, collecting: bool) -> Result<Report, DomainError> {
    let since = days.count() * 86_400;
    let db = ports.db.as_ref();
    let searches: Vec<SearchRow> = db
        .query_all(
            Statement::new(
                "SELECT query, COUNT(*) AS searches, SUM(results = 0) AS empty, SUM(clicked) AS clicked,
                        SUM(helped IS 1) AS helped, SUM(helped IS 0) AS unhelpful, MAX(at) AS last_at
                 FROM insight_searches WHERE at >= unixepoch() - ?1
                 GROUP BY query ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?2",
            )
            .bind(since)
            .bind(MOST_GROUPS),
        )
        .await?;
    let questions: Vec<QuestionRow> = db
        .query_all(
            Statement::new(
                "SELECT MAX(question) AS question, COUNT(*) AS asked, SUM(not_found) AS not_found,
                        MAX(at) AS last_at
                 FROM insight_questions WHERE at >= unixepoch() - ?1
                 GROUP BY lower(question) ORDER BY SUM(not_found) DESC, MAX(at) DESC LIMIT ?2",
            )
            .bind(since)
            .bind(MOST_GROUPS),
        )
        .await?;
    #[derive(Deserialize)]
    struct VoteRow {
        question: String,
        answer: String,
        sources: String,
        down: u64,
        up: u64,
        reasons: Option<String>,
        last_at: i64,
    }
    let votes: Vec<VoteRow> = db
        .query_all(
            Statement::new(
                "SELECT MAX(question) AS question, MAX(answer) AS answer, MAX(sources) AS sources,
                        SUM(helpful = 0) AS down, SUM(helpful) AS up,
                        group_concat(CASE WHEN helpful = 0 THEN reason END) AS reasons,
                        MAX(voted_at) AS last_at
                 FROM answer_votes WHERE voted_at >= unixepoch() - ?1
                 GROUP BY answer_id ORDER BY SUM(helpful = 0) DESC, MAX(voted_at) DESC LIMIT ?2",
            )
            .bind(since)
            .bind(MOST_GROUPS),
        )
        .await?;
    let mut report = Report {
        days,
        collecting,
        searches: searches.iter().map(|r| r.searches).sum(),
        searches_empty: searches.iter().map(|r| r.empty).sum(),
        questions: questions.iter().map(|r| r.asked).sum(),
        questions_not_found: questions.iter().map(|r| r.not_found).sum(),
        votes_up: votes.iter().map(|v| v.up).sum(),
        votes_down: votes.iter().map(|v| v.down).sum(),
        ..Report::default()
    };
    (report.top_searches, report.no_results) = group_searches(searches, usize::MAX);
    report.not_found = not_found_questions(questions, usize::MAX);
    report.downvoted = votes
        .into_iter()
        .filter(|v| v.down > 0)
        .map(|v| AnswerVoteRow {
            // Written by this module from checked sources; an unreadable list shows as none.
            sources: serde_json::from_str(&v.sources).unwrap_or_default(),
            reasons: reasons(v.reasons.as_deref()),
            question: v.question,
            answer: v.answer,
            down: v.down,
            up: v.up,
            last_at: v.last_at,
        })
        .collect();
    Ok(report)
}

impl Report {
    /// The report as a page shows it: each list cut to `top` rows (the CSV has them all).
    #[must_use]
    pub fn shortened(mut self, top: usize) -> Self {
        self.top_searches.truncate(top);
        self.no_results.truncate(top);
        self.not_found.truncate(top);
        self.downvoted.truncate(top);
        self
    }
}

/// One CSV field: quoted, quotes doubled, and a field a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return first: readers typed these) led by `'`.
fn field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

fn line(fields: &[String]) -> String {
    let mut line = fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// One list of `report` as CSV (RFC 4180: CRLF lines, a header row).
pub fn csv(report: &Report, kind: Kind) -> String {
    let mut out = String::new();
    match kind {
        Kind::Searches | Kind::NoResults => {
            let rows = if kind == Kind::Searches { &report.top_searches } else { &report.no_results };
            out.push_str(&line(&[
                "query".into(),
                "searches".into(),
                "no_results".into(),
                "clicked".into(),
                "click_through_percent".into(),
                "helped".into(),
                "did_not_help".into(),
                "last".into(),
            ]));
            for r in rows {
                out.push_str(&line(&[
                    r.query.clone(),
                    r.searches.to_string(),
                    r.empty.to_string(),
                    r.clicked.to_string(),
                    r.click_through().map(|p| p.to_string()).unwrap_or_default(),
                    r.helped.to_string(),
                    r.unhelpful.to_string(),
                    format_date(r.last_at),
                ]));
            }
        }
        Kind::NotFound => {
            out.push_str(&line(&["question".into(), "asked".into(), "not_found".into(), "last".into()]));
            for r in &report.not_found {
                out.push_str(&line(&[
                    r.question.clone(),
                    r.asked.to_string(),
                    r.not_found.to_string(),
                    format_date(r.last_at),
                ]));
            }
        }
        Kind::Downvoted => {
            out.push_str(&line(&[
                "question".into(),
                "answer".into(),
                "sources".into(),
                "down".into(),
                "up".into(),
                "reasons".into(),
                "last".into(),
            ]));
            for r in &report.downvoted {
                let sources =
                    r.sources.iter().map(|s| format!("[{}] {} {}", s.n, s.title, s.url)).collect::<Vec<_>>();
                out.push_str(&line(&[
                    r.question.clone(),
                    r.answer.clone(),
                    sources.join("; "),
                    r.down.to_string(),
                    r.up.to_string(),
                    r.reasons.join(" "),
                    format_date(r.last_at),
                ]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(query: &str, searches: u64, empty: u64, clicked: u64, last_at: i64) -> SearchRow {
        SearchRow { query: query.into(), searches, empty, clicked, helped: 0, unhelpful: 0, last_at }
    }

    #[test]
    fn top_searches_rank_by_count_then_recency_and_empty_ones_by_how_often_empty() {
        let rows = vec![
            search("wal", 3, 0, 2, 100),
            search("fts5", 5, 1, 0, 50),
            search("zzz nothing", 2, 2, 0, 200),
            search("vacuum", 3, 0, 0, 300),
        ];
        let (top, empty) = group_searches(rows, 3);
        let names = |rows: &[SearchRow]| rows.iter().map(|r| r.query.clone()).collect::<Vec<_>>();
        assert_eq!(names(&top), ["fts5", "vacuum", "wal"]);
        assert_eq!(names(&empty), ["zzz nothing", "fts5"]);
    }

    #[test]
    fn click_through_counts_only_searches_that_found_something() {
        assert_eq!(search("a", 4, 0, 1, 0).click_through(), Some(25));
        assert_eq!(search("a", 4, 2, 1, 0).click_through(), Some(50));
        assert_eq!(search("a", 3, 0, 2, 0).click_through(), Some(67));
        assert_eq!(search("a", 2, 2, 0, 0).click_through(), None);
        // A click counted twice (two tabs) never reads as more than all of them.
        assert_eq!(search("a", 1, 0, 3, 0).click_through(), Some(100));
    }

    #[test]
    fn only_questions_answered_not_found_are_listed_most_often_first() {
        let q = |question: &str, asked, not_found, last_at| QuestionRow {
            question: question.into(),
            asked,
            not_found,
            last_at,
        };
        let listed =
            not_found_questions(vec![q("found", 9, 0, 9), q("rare", 1, 1, 5), q("often", 4, 3, 1)], 10);
        assert_eq!(listed.iter().map(|r| r.question.as_str()).collect::<Vec<_>>(), ["often", "rare"]);
    }

    #[test]
    fn reasons_are_listed_most_given_first_once_each() {
        assert_eq!(reasons(Some("wrong,off-topic,wrong")), ["wrong", "off-topic"]);
        assert_eq!(reasons(None), Vec::<String>::new());
    }

    #[test]
    fn days_and_kinds_read_from_the_url_and_say_what_they_take() {
        assert_eq!(Days::parse(None).ok(), Some(Days::Week));
        assert_eq!(Days::parse(Some("30")).ok(), Some(Days::Month));
        assert!(Days::parse(Some("365")).is_err());
        assert_eq!(Kind::parse(Some("no-results")).ok(), Some(Kind::NoResults));
        assert!(Kind::parse(Some("everything")).is_err());
    }

    #[test]
    fn csv_quotes_every_field_and_defuses_formulas() {
        let report = Report {
            top_searches: vec![search("=HYPERLINK(\"x\")", 2, 0, 1, 0), search("a, \"b\"\nc", 1, 1, 0, 0)],
            ..Report::default()
        };
        let text = csv(&report, Kind::Searches);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "\"query\",\"searches\",\"no_results\",\"clicked\",\"click_through_percent\",\"helped\",\"did_not_help\",\"last\""
        );
        assert_eq!(
            lines[1],
            "\"'=HYPERLINK(\"\"x\"\")\",\"2\",\"0\",\"1\",\"50\",\"0\",\"0\",\"1970-01-01\""
        );
        assert!(text.contains("\"a, \"\"b\"\"\nc\",\"1\",\"1\",\"0\",\"\",\"0\",\"0\""), "{text}");
        assert!(text.ends_with("\r\n"));
    }
}
