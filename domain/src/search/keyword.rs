//! Keyword candidates from the FTS5 index: every word first; when that finds too little, any
//! of the words (common ones dropped), ranked by bm25 with the title and headings weighted
//! above the body. Snippets are made only for the rows returned.
//!
//! FTS5 scores every chunk a query matches, so a word found in most chunks costs a pass over
//! most of the index (120 ms at 50k chunks). A query therefore scores at most
//! [`Settings::scored_chunks`](super::Settings) chunks: one cheap statement counts each word's
//! chunks (stopping past the budget), the rarest words that fit the budget are searched, and
//! words more common than that are left out, as stop words are, for they barely tell chunks
//! apart. When every word is that common, the two rarest together (then the rarest alone) rank
//! the newest chunks that hold them, up to the budget. A small site never reaches the budget
//! and searches every word.

use serde::Deserialize;
use std::collections::HashSet;

use super::query::{KeywordQuery, MARK_END, MARK_START};
use super::{best_per_document, Candidate, Filters};
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;

/// The ranked chunks of a MATCH, best chunk per document, filtered; snippets only for those.
/// bm25 is lower-is-better; weights are (title, heading, body). Every chunk of a document
/// carries its title, so the chunk shown is the best by heading and body alone (`section_rank`):
/// the passage that holds the words, not merely the shortest one. `?9` bounds the chunks scored
/// (newest first); without filters only the best [`TOP_CHUNKS`] by FTS5's own `rank` (bm25 with
/// the same weights, set by migration 0010) are joined, so a match costs no join of its own.
const RANKED: &str = "
WITH top AS MATERIALIZED (
  SELECT id, rank, section_rank FROM (
    SELECT rowid AS id, rank, bm25(chunks_fts, 0.0, 4.0, 1.0) AS section_rank
    FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?9
  ) ORDER BY rank LIMIT ?8
),
ranked AS (
  SELECT c.id, c.document_id, top.rank, top.section_rank
  FROM top
  JOIN chunks c ON c.id = top.id
  JOIN documents d ON d.id = c.document_id AND d.version = c.version AND d.published = 1
  WHERE (?4 IS NULL OR d.folder = ?4)
    AND (?5 IS NULL OR EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ?5))
    AND (?6 IS NULL OR d.updated_at >= ?6)
),
best AS MATERIALIZED (
  SELECT id, rank FROM (
    SELECT id, rank, ROW_NUMBER() OVER (PARTITION BY document_id ORDER BY section_rank) AS n FROM ranked
  ) WHERE n = 1 ORDER BY rank LIMIT ?7
)
SELECT c.id AS chunk_id, c.document_id, d.slug, d.title, c.heading, c.anchor, best.rank,
       snippet(chunks_fts, 2, ?2, ?3, '…', 28) AS snippet
FROM best
CROSS JOIN chunks_fts ON chunks_fts.rowid = best.id
JOIN chunks c ON c.id = best.id
JOIN documents d ON d.id = c.document_id
WHERE chunks_fts MATCH ?1
ORDER BY best.rank";

/// Chunks ranked inside FTS5 before the join when no filter could remove them.
const TOP_CHUNKS: i64 = 300;
/// "No limit", kept a JS-safe integer: D1 binds numbers as doubles.
const NO_LIMIT: i64 = 1_000_000_000;

#[derive(Deserialize)]
struct Row {
    chunk_id: i64,
    document_id: i64,
    slug: String,
    title: String,
    heading: String,
    anchor: Option<String>,
    rank: f64,
    snippet: String,
}

/// Up to `limit` documents for the FTS5 query `fts`, scoring at most `scan` chunks.
async fn run(
    ports: &Ports,
    fts: &str,
    filters: &Filters,
    limit: usize,
    scan: i64,
) -> Result<Vec<Candidate>, DomainError> {
    let rows: Vec<Row> = ports
        .db
        .query_all(
            Statement::new(RANKED)
                .bind(fts)
                .bind(MARK_START.to_string())
                .bind(MARK_END.to_string())
                .bind(filters.folder.clone())
                .bind(filters.tag.clone())
                .bind(filters.after)
                .bind(i64::try_from(limit).unwrap_or(50))
                .bind(if *filters == Filters::default() { TOP_CHUNKS } else { NO_LIMIT })
                .bind(scan),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            chunk_id: r.chunk_id,
            document_id: r.document_id,
            slug: r.slug,
            title: r.title,
            heading: r.heading,
            anchor: r.anchor,
            snippet: r.snippet,
            score: -r.rank,
            sections: Vec::new(),
        })
        .collect())
}

/// One term of a query with the number of chunks that hold it (counted up to the budget + 1).
struct Weighed {
    fts: String,
    chunks: i64,
    stop: bool,
}

/// How many chunks hold each FTS5 query in `terms`, each count stopping at `cap`: one
/// statement over a bound JSON array (one D1 round trip, and no SQL written per query; D1 also
/// refuses long `UNION ALL`s).
async fn count_chunks(ports: &Ports, terms: &[String], cap: i64) -> Result<Vec<i64>, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        i: usize,
        n: i64,
    }
    let statement = Statement::new(
        "SELECT j.key AS i,
                (SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH j.value LIMIT ?1)) AS n
         FROM json_each(?2) j",
    )
    .bind(cap)
    .bind(serde_json::to_string(terms).unwrap_or_default());
    let mut counts = vec![0; terms.len()];
    for row in ports.db.query_all::<Count>(statement).await? {
        if let Some(slot) = counts.get_mut(row.i) {
            *slot = row.n;
        }
    }
    Ok(counts)
}

/// Each term of `query` with its chunk count. The word being typed is matched as a prefix
/// only while it is not yet a word of the index: once it is, stemming already finds its other
/// forms, and a prefix of a common word would merge every word that begins with it.
async fn weigh(ports: &Ports, query: &KeywordQuery, budget: i64) -> Result<Vec<Weighed>, DomainError> {
    let exact: Vec<String> = (0..query.terms.len()).map(|i| query.fts_term(i, false)).collect();
    let mut counts = count_chunks(ports, &exact, budget + 1).await?;
    let mut terms: Vec<String> = exact;
    let last = query.terms.len().saturating_sub(1);
    if query.is_prefix(last) && counts[last] == 0 {
        terms[last] = query.fts_term(last, true);
        counts[last] = count_chunks(ports, &terms[last..], budget + 1).await?[0];
    }
    Ok(terms
        .into_iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (fts, chunks))| Weighed { fts, chunks, stop: query.is_stop_term(i) })
        .collect())
}

/// Up to `limit` documents for `query`, best first; "any of the words" only when "every word"
/// found fewer than `enough` (what the reader asked to see).
pub(super) async fn candidates(
    site: &Site,
    query: &KeywordQuery,
    filters: &Filters,
    limit: usize,
    enough: usize,
) -> Result<Vec<Candidate>, DomainError> {
    let ports = &site.ports;
    let budget = i64::try_from(site.search.scored_chunks).unwrap_or(NO_LIMIT).max(1);
    let terms = weigh(ports, query, budget).await?;
    if terms.iter().all(|t| t.chunks == 0) {
        return Ok(Vec::new());
    }
    // "Every word" reads each word's list of chunks but scores only chunks holding all of them:
    // any word under the budget may take part. "Any of the words" scores every chunk holding
    // one: only the rarest words whose chunks fit the budget together.
    let mut by_rarity: Vec<&Weighed> = terms.iter().filter(|t| t.chunks > 0).collect();
    by_rarity.sort_by_key(|t| t.chunks);
    let rare: Vec<&str> = by_rarity.iter().filter(|t| t.chunks <= budget).map(|t| t.fts.as_str()).collect();
    let mut total = 0;
    let fit: Vec<&str> = by_rarity
        .iter()
        .take_while(|t| {
            total += t.chunks;
            total <= budget
        })
        .filter(|t| !t.stop)
        .map(|t| t.fts.as_str())
        .collect();
    let (every, any, scan) = if rare.is_empty() {
        // Every word is common: the newest chunks holding the two rarest, then the rarest.
        let pair = by_rarity.iter().take(2).map(|t| t.fts.as_str()).collect::<Vec<_>>().join(" ");
        let rarest = (by_rarity.len() > 1).then(|| by_rarity[0].fts.clone());
        (pair, rarest, if *filters == Filters::default() { budget } else { NO_LIMIT })
    } else {
        let any = (terms.len() > 1 && !fit.is_empty()).then(|| fit.join(" OR "));
        (rare.join(" "), any, NO_LIMIT)
    };
    let mut found = run(ports, &every, filters, limit, scan).await?;
    if found.len() < enough.min(limit) {
        if let Some(any) = any {
            // Documents with every word stay first; the rest follow in bm25 order.
            let more = run(ports, &any, filters, limit, scan).await?;
            let floor = found.iter().map(|c| c.score).fold(f64::INFINITY, f64::min);
            let have: HashSet<i64> = found.iter().map(|c| c.document_id).collect();
            found.extend(
                more.into_iter()
                    .filter(|c| !have.contains(&c.document_id))
                    .map(|c| Candidate { score: c.score.min(floor - 1e-6), ..c }),
            );
            found.truncate(limit);
        }
    }
    Ok(best_per_document(found))
}

/// Most words one query tries to correct: each costs a look through the vocabulary. Unknown
/// words past these are searched as typed.
const MAX_CORRECTIONS: usize = 3;

/// When no word of `query` is in the index as typed: the query with each unknown word replaced
/// by the closest indexed word (edit distance 1 for short words, else 2; same first letter; the
/// most frequent on a tie), and what it finds. Whether the words are known is one statement;
/// only the first [`MAX_CORRECTIONS`] unknown words are looked up. `None` when nothing could be
/// corrected or the correction finds nothing either.
pub(super) async fn corrected(
    site: &Site,
    query: &KeywordQuery,
    filters: &Filters,
    limit: usize,
) -> Result<Option<(String, Vec<Candidate>)>, DomainError> {
    let ports = &site.ports;
    #[derive(Deserialize)]
    struct Term {
        term: String,
    }
    // Words long enough to misspell and that begin with a letter; whether the index has each.
    let correctable =
        |word: &str| word.chars().count() >= 4 && word.chars().next().is_some_and(char::is_alphabetic);
    let mut seen = HashSet::new();
    let tried: Vec<&str> = query.words().filter(|w| correctable(w) && seen.insert(*w)).collect();
    if tried.is_empty() {
        return Ok(None);
    }
    let exact: Vec<String> = tried
        .iter()
        .map(|w| KeywordQuery { terms: vec![vec![(*w).to_owned()]], prefix_last: false }.to_fts())
        .collect();
    let known: Vec<bool> = count_chunks(ports, &exact, 1).await?.into_iter().map(|n| n > 0).collect();
    let unknown = tried.iter().zip(&known).filter(|(_, k)| !**k).map(|(w, _)| *w).take(MAX_CORRECTIONS);
    let mut fixes: Vec<(&str, String)> = Vec::new();
    for word in unknown {
        let lower = word.to_lowercase();
        let Some(first) = lower.chars().next() else { continue };
        let len = i64::try_from(lower.chars().count()).unwrap_or(64);
        // The vocabulary holds Porter stems; candidates share the first letter and about the
        // length, most frequent first.
        let nearby: Vec<Term> = ports
            .db
            .query_all(
                Statement::new(
                    "SELECT term FROM chunks_vocab
                     WHERE term >= ?1 AND term < ?2 AND length(term) BETWEEN ?3 - 3 AND ?3 + 2
                     ORDER BY cnt DESC LIMIT 400",
                )
                .bind(first.to_string())
                .bind(char::from_u32(u32::from(first) + 1).map(String::from).unwrap_or_default())
                .bind(len),
            )
            .await?;
        // The vocabulary holds stems: compare the word with its common endings off too.
        let variants: Vec<&str> = std::iter::once(lower.as_str())
            .chain(["ing", "es", "ed", "e", "s"].iter().filter_map(|end| lower.strip_suffix(end)))
            .collect();
        let allowed = if lower.chars().count() <= 5 { 1 } else { 2 };
        let best = nearby
            .into_iter()
            .map(|t| (variants.iter().map(|v| edit_distance(v, &t.term, 3)).min().unwrap_or(3), t.term))
            .filter(|(d, _)| *d <= allowed)
            .min_by_key(|(d, _)| *d);
        if let Some((_, term)) = best {
            fixes.push((word, term));
        }
    }
    if fixes.is_empty() {
        return Ok(None);
    }
    let mut terms = query.terms.clone();
    for slot in terms.iter_mut().flatten() {
        if let Some((_, term)) = fixes.iter().find(|(word, _)| *word == slot.as_str()) {
            *slot = term.clone();
        }
    }
    let fixed = KeywordQuery { terms, prefix_last: true };
    let found = candidates(site, &fixed, filters, limit, limit).await?;
    if found.is_empty() {
        return Ok(None);
    }
    // The index holds stems ("databas"); show the word the snippets marked for each.
    let marked = marked_words(&found);
    let shown = fixed
        .terms
        .iter()
        .flatten()
        .map(|stem| {
            marked
                .iter()
                .find(|w| w.to_lowercase().starts_with(stem.as_str()))
                .cloned()
                .unwrap_or_else(|| stem.clone())
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some((shown, found)))
}

/// The words between snippet markers, in order.
fn marked_words(found: &[Candidate]) -> Vec<String> {
    let mut words = Vec::new();
    for candidate in found {
        for part in candidate.snippet.split(MARK_START).skip(1) {
            if let Some((word, _)) = part.split_once(MARK_END) {
                words.push(word.to_owned());
            }
        }
    }
    words
}

/// Levenshtein distance, giving up (returning `cap`) once it must exceed `cap`.
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) >= cap {
        return cap;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min >= cap {
            return cap;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(cap)
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_and_caps() {
        assert_eq!(edit_distance("vacuum", "vacuum", 3), 0);
        assert_eq!(edit_distance("vaccum", "vacuum", 3), 1);
        assert_eq!(edit_distance("databse", "database", 3), 1);
        assert_eq!(edit_distance("trigger", "triger", 3), 1);
        assert_eq!(edit_distance("abc", "xyzuvw", 3), 3, "capped");
    }
}
