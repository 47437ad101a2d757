//! One list from two: keyword and semantic candidates (each already one per document, best
//! first) fused with a weight for the semantic side, like Meilisearch's `semanticRatio`.
//! Which fusion wins is measured by `folio eval` (docs/performance.md), not assumed: weighted Reciprocal
//! Rank Fusion uses only ranks; the convex combination uses min-max normalised scores, so a
//! much stronger side can dominate.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::{Candidate, Hit};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// score = (1 − r) / (k + keyword rank) + r / (k + semantic rank)
    #[default]
    Rrf,
    /// score = (1 − r) · keyword score + r · semantic score, each scaled to 0–1 in its list
    Convex,
}

impl Fusion {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "rrf" => Some(Self::Rrf),
            "convex" => Some(Self::Convex),
            _ => None,
        }
    }
}

/// A list on its own (one index answered): its order, its scores.
pub(crate) fn single(list: Vec<Candidate>, limit: usize) -> Vec<Hit> {
    list.into_iter()
        .take(limit)
        .map(|c| {
            let score = c.score;
            c.into_hit(score)
        })
        .collect()
}

/// Scores scaled to 0–1 within their list (all equal → 1).
fn normalised(list: &[Candidate]) -> Vec<f64> {
    let max = list.iter().map(|c| c.score).fold(f64::NEG_INFINITY, f64::max);
    let min = list.iter().map(|c| c.score).fold(f64::INFINITY, f64::min);
    list.iter().map(|c| if max > min { (c.score - min) / (max - min) } else { 1.0 }).collect()
}

/// Fuses the two lists; a document in both shows its keyword chunk (the passage that holds the
/// words, with them marked), one found only by meaning its semantic chunk.
pub(crate) fn fuse(
    fusion: Fusion,
    k: f32,
    ratio: f32,
    keyword: Vec<Candidate>,
    semantic: Vec<Candidate>,
    limit: usize,
) -> Vec<Hit> {
    let r = f64::from(ratio);
    let k = f64::from(k);
    let keyword_norm = normalised(&keyword);
    let semantic_norm = normalised(&semantic);
    // document → (fused score, candidate)
    let mut fused: HashMap<i64, (f64, Candidate)> = HashMap::new();
    let sides = [(keyword, keyword_norm, 1.0 - r), (semantic, semantic_norm, r)];
    for (list, norm, weight) in sides {
        for (rank, (candidate, n)) in list.into_iter().zip(norm).enumerate() {
            let part = match fusion {
                Fusion::Rrf => weight / (k + rank as f64 + 1.0),
                Fusion::Convex => weight * n,
            };
            match fused.get_mut(&candidate.document_id) {
                // Already there from the keyword side: keep its chunk; the semantic side's
                // fill its sections.
                Some(entry) => {
                    entry.0 += part;
                    super::group::merge(&mut entry.1, candidate);
                }
                None => {
                    fused.insert(candidate.document_id, (part, candidate));
                }
            }
        }
    }
    let mut list: Vec<(f64, Candidate)> = fused.into_values().collect();
    list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.document_id.cmp(&b.1.document_id)));
    list.into_iter().take(limit).map(|(score, c)| c.into_hit(score)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::candidate as c;
    use super::*;

    fn ids(hits: &[Hit]) -> Vec<i64> {
        hits.iter().map(|h| h.document_id).collect()
    }

    #[test]
    fn a_document_both_sides_rank_beats_one_side_alone() {
        let keyword = vec![c(1, 9.0), c(2, 5.0), c(3, 1.0)];
        let semantic = vec![c(4, 0.9), c(2, 0.8), c(5, 0.7)];
        for fusion in [Fusion::Rrf, Fusion::Convex] {
            let hits = fuse(fusion, 60.0, 0.5, keyword.clone(), semantic.clone(), 10);
            assert_eq!(hits[0].document_id, 2, "{fusion:?}");
            assert_eq!(hits.len(), 5, "each document once");
        }
    }

    #[test]
    fn the_ratio_moves_the_order_between_the_sides() {
        let keyword = vec![c(1, 9.0), c(2, 1.0)];
        let semantic = vec![c(3, 0.9), c(4, 0.1)];
        assert_eq!(ids(&fuse(Fusion::Rrf, 60.0, 0.0, keyword.clone(), semantic.clone(), 2)), [1, 2]);
        assert_eq!(ids(&fuse(Fusion::Rrf, 60.0, 1.0, keyword.clone(), semantic.clone(), 2)), [3, 4]);
        assert_eq!(ids(&fuse(Fusion::Convex, 60.0, 0.9, keyword, semantic, 1)), [3]);
    }
}
