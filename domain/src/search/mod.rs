//! Search: what the indexes hold and how a query finds it. [`chunk`] cuts a document into the
//! heading-aware pieces that the keyword index (FTS5) and the vector index will hold and that a
//! result deep-links to; [`query`] turns what a reader types into a keyword query that cannot
//! fail and FTS5 snippets into safe HTML. The index stages and hybrid ranking build on them.

pub mod chunk;
pub mod query;
