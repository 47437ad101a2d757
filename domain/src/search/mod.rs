//! Search: what the indexes hold and how a query finds it. [`chunk`] cuts a document into the
//! heading-aware pieces that the keyword index (FTS5) and the vector index will hold and that a
//! result deep-links to; the index stages, the query parser and hybrid ranking build on it.

pub mod chunk;
